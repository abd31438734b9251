/**
 * The exam clock. It runs on the server only, from a deadline fixed when the
 * exam starts (and persisted), so nothing a browser does can pause or
 * stretch it. Alerts fire at 30, 15 and 5 minutes left — only those below
 * the time limit, each once (the fired set is persisted too, so a restart
 * does not repeat them).
 */
export const ALERT_MINUTES = [30, 15, 5] as const;

/** Alert thresholds (minutes) due now and not fired yet, largest first. */
export function alertsDue(deadlineMs: number, nowMs: number, timeLimitSeconds: number, fired: readonly number[]): number[] {
  const left = deadlineMs - nowMs;
  return ALERT_MINUTES.filter((m) => m * 60 < timeLimitSeconds && !fired.includes(m) && left <= m * 60_000 && left > 0);
}

/** Milliseconds until the next thing the clock must do (an alert or the deadline), never negative. */
export function nextWakeMs(deadlineMs: number, nowMs: number, timeLimitSeconds: number, fired: readonly number[]): number {
  const left = deadlineMs - nowMs;
  if (left <= 0) return 0;
  const pending = ALERT_MINUTES.filter((m) => m * 60 < timeLimitSeconds && !fired.includes(m) && left > m * 60_000).map((m) => left - m * 60_000);
  return Math.max(0, Math.min(left, ...pending));
}

export interface TimerHandlers {
  /** An alert threshold was crossed; `minutes` is the threshold, `leftMs` the real time left. */
  onAlert(minutes: number, leftMs: number): void;
  onExpire(): void;
}

/** Wakes up at each alert and at the deadline; re-checks at least every `maxSleepMs` (clock jumps). */
export class ExamTimer {
  private handle?: NodeJS.Timeout;
  private stopped = false;
  readonly fired: number[];

  constructor(
    readonly deadlineMs: number,
    readonly timeLimitSeconds: number,
    fired: readonly number[],
    private readonly handlers: TimerHandlers,
    private readonly now: () => number = Date.now,
    private readonly maxSleepMs = 30_000,
  ) {
    this.fired = [...fired];
  }

  start(): void {
    this.stopped = false;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineMs - this.now());
  }

  private tick(): void {
    if (this.stopped) return;
    const t = this.now();
    const due = alertsDue(this.deadlineMs, t, this.timeLimitSeconds, this.fired);
    if (due.length) {
      // After a restart several may be due at once: announce only the most urgent.
      this.fired.push(...due);
      this.handlers.onAlert(due[due.length - 1]!, this.deadlineMs - t);
    }
    if (t >= this.deadlineMs) {
      this.stopped = true;
      this.handlers.onExpire();
      return;
    }
    const wait = Math.min(this.maxSleepMs, nextWakeMs(this.deadlineMs, t, this.timeLimitSeconds, this.fired));
    this.handle = setTimeout(() => this.tick(), Math.max(wait, 1));
    this.handle.unref?.();
  }
}
