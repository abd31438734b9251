/** Typed client for the Kubedrill REST API and event socket. */
import type { ScenarioSummary, SessionEvent, SessionInfo } from '../../server/engine/types.js';
import type { GradeReport } from '../../graders/types.js';

export type { ScenarioSummary, SessionEvent, SessionInfo, GradeReport };

export interface SessionView extends SessionInfo {
  hints: string[];
  solution?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    /* non-JSON */
  }
  if (!res.ok) throw new ApiError(res.status, String(json.error ?? 'error'), String(json.message ?? `${res.status} ${res.statusText}`));
  return json as T;
}

export const api = {
  scenarios: () => call<{ scenarios: ScenarioSummary[] }>('GET', 'api/scenarios').then((r) => r.scenarios),
  mySessions: () =>
    call<{ sessions: Array<{ id: string; scenarioId: string; stage: string; createdAt: string }> }>('GET', 'api/sessions').then((r) => r.sessions),
  start: (scenarioId: string) => call<{ session: SessionView }>('POST', 'api/sessions', { scenarioId }).then((r) => r.session),
  session: (id: string) => call<{ session: SessionView }>('GET', `api/sessions/${encodeURIComponent(id)}`).then((r) => r.session),
  check: (id: string) => call<{ grade: GradeReport }>('POST', `api/sessions/${encodeURIComponent(id)}/check`).then((r) => r.grade),
  hint: (id: string) =>
    call<{ hint: { index: number; text: string; total: number }; hints: string[] }>('POST', `api/sessions/${encodeURIComponent(id)}/hint`),
  solution: (id: string) =>
    call<{ solution: { steps: string } }>('POST', `api/sessions/${encodeURIComponent(id)}/solution`, { confirm: true }).then((r) => r.solution.steps),
  reset: (id: string) => call<{ session: SessionView }>('POST', `api/sessions/${encodeURIComponent(id)}/reset`).then((r) => r.session),
  end: (id: string) => call<{ ended: boolean }>('DELETE', `api/sessions/${encodeURIComponent(id)}`),
};

export function wsUrl(path: string, params: Record<string, string | number>): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}

export type EventMessage =
  | { type: 'session'; session: SessionView }
  | { type: 'history'; events: SessionEvent[] }
  | { type: 'event'; event: SessionEvent }
  | { type: 'error'; message: string }
  | { type: 'pong' };

/** Subscribes to a session's events, reconnecting with backoff. Returns a stop function. */
export function subscribeEvents(
  id: string,
  onMessage: (m: EventMessage) => void,
  onStatus: (connected: boolean) => void,
): () => void {
  let ws: WebSocket | undefined;
  let stopped = false;
  let delay = 500;
  let timer: number | undefined;
  const connect = () => {
    ws = new WebSocket(wsUrl('ws/events', { session: id }));
    ws.onopen = () => {
      delay = 500;
      onStatus(true);
    };
    ws.onmessage = (ev) => {
      try {
        onMessage(JSON.parse(String(ev.data)) as EventMessage);
      } catch {
        /* ignore */
      }
    };
    ws.onclose = () => {
      onStatus(false);
      if (stopped) return;
      timer = window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 8000);
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    ws?.close();
  };
}
