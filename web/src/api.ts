/** Typed client for the Kubedrill REST API and event socket. */
import type { ScenarioSummary, SessionEvent, SessionInfo } from '../../server/engine/types.js';
import type { GradeReport } from '../../graders/types.js';
import { request, subscribeSocket } from './request.js';

export type { ScenarioSummary, SessionEvent, SessionInfo, GradeReport };

export interface SessionView extends SessionInfo {
  hints: string[];
  solution?: string;
}

export const api = {
  scenarios: () => request<{ scenarios: ScenarioSummary[] }>('GET', 'api/scenarios').then((r) => r.scenarios),
  mySessions: () =>
    request<{ sessions: Array<{ id: string; scenarioId: string; stage: string; createdAt: string }> }>('GET', 'api/sessions').then((r) => r.sessions),
  start: (scenarioId: string) => request<{ session: SessionView }>('POST', 'api/sessions', { scenarioId }).then((r) => r.session),
  session: (id: string) => request<{ session: SessionView }>('GET', `api/sessions/${encodeURIComponent(id)}`).then((r) => r.session),
  check: (id: string) => request<{ grade: GradeReport }>('POST', `api/sessions/${encodeURIComponent(id)}/check`).then((r) => r.grade),
  hint: (id: string) =>
    request<{ hint: { index: number; text: string; total: number }; hints: string[] }>('POST', `api/sessions/${encodeURIComponent(id)}/hint`),
  solution: (id: string) =>
    request<{ solution: { steps: string } }>('POST', `api/sessions/${encodeURIComponent(id)}/solution`, { confirm: true }).then((r) => r.solution.steps),
  reset: (id: string) => request<{ session: SessionView }>('POST', `api/sessions/${encodeURIComponent(id)}/reset`).then((r) => r.session),
  end: (id: string) => request<{ ended: boolean }>('DELETE', `api/sessions/${encodeURIComponent(id)}`),
};

export type EventMessage =
  | { type: 'session'; session: SessionView }
  | { type: 'history'; events: SessionEvent[] }
  | { type: 'event'; event: SessionEvent }
  | { type: 'error'; message: string }
  | { type: 'pong' };

/** Subscribes to a session's events, reconnecting with backoff. Returns a stop function. */
export function subscribeEvents(id: string, onMessage: (m: EventMessage) => void, onStatus: (connected: boolean) => void): () => void {
  return subscribeSocket('ws/events', { session: id }, onMessage, onStatus);
}
