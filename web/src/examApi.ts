/** Typed client for the mock exam and progress APIs (server/http/exams.ts, server/http/progress.ts). */
import type { ExamEvent, ExamRunView, ExamSummary } from '../../server/exams/service.js';
import type { AttemptRow, BestScore, DomainAverage, Suggestion } from '../../server/progress/store.js';
import { ApiError, wsUrl } from './api.js';

export type { ExamEvent, ExamRunView, ExamSummary };

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

export interface MyRun {
  id: string;
  examId: string;
  title: string;
  state: string;
  createdAt: string;
  deadlineAt?: string;
  totalPercent?: number;
  passed?: boolean;
}

export interface ProgressData {
  history: Array<AttemptRow & { title: string }>;
  best: Array<BestScore & { title: string }>;
  domains: DomainAverage[];
  suggestions: Suggestion[];
  exams: Array<{ id: string; examId: string; title: string; state: string; createdAt: string; totalPercent: number | null; passed: boolean | null; passPercent: number }>;
}

const runPath = (id: string) => `api/exams/runs/${encodeURIComponent(id)}`;

export const examApi = {
  exams: () => call<{ exams: ExamSummary[] }>('GET', 'api/exams').then((r) => r.exams),
  myRuns: () => call<{ runs: MyRun[] }>('GET', 'api/exams/runs').then((r) => r.runs),
  start: (examId: string) => call<{ run: ExamRunView }>('POST', 'api/exams/runs', { examId }).then((r) => r.run),
  run: (id: string) => call<{ run: ExamRunView }>('GET', runPath(id)).then((r) => r.run),
  flag: (id: string, index: number, flagged: boolean) => call<{ run: ExamRunView }>('PUT', `${runPath(id)}/tasks/${index}/flag`, { flagged }).then((r) => r.run),
  notes: (id: string, notes: string) => call<{ run: ExamRunView }>('PUT', `${runPath(id)}/notes`, { notes }).then((r) => r.run),
  submit: (id: string) => call<{ run: ExamRunView }>('POST', `${runPath(id)}/submit`, { confirm: true }).then((r) => r.run),
  cancel: (id: string) => call<{ run: ExamRunView }>('DELETE', runPath(id)).then((r) => r.run),
  progress: () => call<ProgressData>('GET', 'api/progress'),
};

export type ExamMessage =
  | { type: 'run'; run: ExamRunView }
  | { type: 'history'; events: ExamEvent[] }
  | { type: 'event'; event: ExamEvent }
  | { type: 'error'; message: string }
  | { type: 'pong' };

/** Live events of a run, reconnecting with backoff. Returns a stop function. */
export function subscribeExam(id: string, onMessage: (m: ExamMessage) => void, onStatus: (connected: boolean) => void): () => void {
  let ws: WebSocket | undefined;
  let stopped = false;
  let delay = 500;
  let timer: number | undefined;
  const connect = () => {
    ws = new WebSocket(wsUrl('ws/exam-events', { run: id }));
    ws.onopen = () => {
      delay = 500;
      onStatus(true);
    };
    ws.onmessage = (ev) => {
      try {
        onMessage(JSON.parse(String(ev.data)) as ExamMessage);
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
