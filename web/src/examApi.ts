/** Typed client for the mock exam and progress APIs (server/http/exams.ts, server/http/progress.ts). */
import type { ExamEvent, ExamRunView, ExamSummary } from '../../server/exams/service.js';
import type { AttemptRow, BestScore, DomainAverage, Suggestion } from '../../server/progress/store.js';
import { request, subscribeSocket } from './request.js';

export type { ExamEvent, ExamRunView, ExamSummary };

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
  exams: () => request<{ exams: ExamSummary[] }>('GET', 'api/exams').then((r) => r.exams),
  myRuns: () => request<{ runs: MyRun[] }>('GET', 'api/exams/runs').then((r) => r.runs),
  start: (examId: string) => request<{ run: ExamRunView }>('POST', 'api/exams/runs', { examId }).then((r) => r.run),
  run: (id: string) => request<{ run: ExamRunView }>('GET', runPath(id)).then((r) => r.run),
  flag: (id: string, index: number, flagged: boolean) => request<{ run: ExamRunView }>('PUT', `${runPath(id)}/tasks/${index}/flag`, { flagged }).then((r) => r.run),
  notes: (id: string, notes: string) => request<{ run: ExamRunView }>('PUT', `${runPath(id)}/notes`, { notes }).then((r) => r.run),
  submit: (id: string) => request<{ run: ExamRunView }>('POST', `${runPath(id)}/submit`, { confirm: true }).then((r) => r.run),
  cancel: (id: string) => request<{ run: ExamRunView }>('DELETE', runPath(id)).then((r) => r.run),
  progress: () => request<ProgressData>('GET', 'api/progress'),
};

export type ExamMessage =
  | { type: 'run'; run: ExamRunView }
  | { type: 'history'; events: ExamEvent[] }
  | { type: 'event'; event: ExamEvent }
  | { type: 'error'; message: string }
  | { type: 'pong' };

/** Live events of a run, reconnecting with backoff. Returns a stop function. */
export function subscribeExam(id: string, onMessage: (m: ExamMessage) => void, onStatus: (connected: boolean) => void): () => void {
  return subscribeSocket('ws/exam-events', { run: id }, onMessage, onStatus);
}
