/**
 * Mock exam API (mounted by app.ts through AppOptions.extensions):
 *
 *   GET    /api/exams                          exam catalogue with set-up time estimates
 *   POST   /api/exams/runs {examId}            start (201; owner token in body and cookie kd_exam_<id>)
 *   GET    /api/exams/runs                     this browser's runs (by cookie)
 *   GET    /api/exams/runs/:id                 the run (timer, tasks, flags, notes; results once finished)
 *   GET    /api/exams/runs/:id/events          past events
 *   PUT    /api/exams/runs/:id/tasks/:n/flag   {flagged: boolean}
 *   PUT    /api/exams/runs/:id/notes           {notes: string}
 *   POST   /api/exams/runs/:id/submit          {confirm: true} → grades everything once
 *   DELETE /api/exams/runs/:id                 cancel while provisioning / clean up a failed run
 *   WS     /ws/exam-events?run=<id>            live events
 *   WS     /ws/exam-terminal?run=<id>&node=<n> a shell on a node of the run's clusters
 *
 * There is deliberately no check/grade endpoint: nothing is graded before
 * submit or time-out, and while an exam is under way a training session of
 * one of its tasks' scenarios cannot show the solution (403). Every run
 * endpoint and socket needs the run's owner token (cookie, or the
 * X-Kubedrill-Owner header).
 */
import express from 'express';
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { AppExtension, ExtensionContext } from './app.js';
import { HttpError } from './errors.js';
import { NODE_NAME_RE, SCENARIO_ID_RE, TOKEN_HEADER, parseCookies } from './security.js';
import { EXAM_RUN_ID, MAX_NOTES, type ExamEvent, type ExamService } from '../exams/service.js';

export const EXAM_COOKIE_PREFIX = 'kd_exam_';
const examCookieName = (id: string) => EXAM_COOKIE_PREFIX + id;

export function examCookie(id: string, token: string, secure: boolean): string {
  const attrs = [`${examCookieName(id)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=604800'];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

/** Terminal keys in the shared TerminalManager: never collide with session ids. */
export const examTerminalKey = (id: string) => `exam:${id}`;

function tokenFrom(req: IncomingMessage, id: string): string | undefined {
  const h = req.headers[TOKEN_HEADER];
  if (typeof h === 'string' && h) return h;
  return parseCookies(req.headers.cookie).get(examCookieName(id));
}

function objectBody(req: Request, example: string): Record<string, unknown> {
  const body = req.body as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'bad_request', `request body must be a JSON object like ${example}`, 'body');
  return body as Record<string, unknown>;
}

export function examsExtension(service: ExamService): AppExtension {
  const liveSockets = new Set<WebSocket>();
  const closedTerminals = new Set<string>();

  function runId(req: Request): string {
    const id = req.params.id;
    if (typeof id !== 'string' || !EXAM_RUN_ID.test(id)) throw new HttpError(400, 'bad_request', `exam run id must match ${EXAM_RUN_ID.source}`, 'id');
    return id;
  }

  function owned(req: Request): string {
    const id = runId(req);
    if (!service.has(id)) throw new HttpError(404, 'not_found', `unknown exam run "${id}"`);
    if (!service.verifyOwner(id, tokenFrom(req, id)))
      throw new HttpError(403, 'forbidden', `exam run ${id} belongs to another browser: the owner token is missing or wrong`);
    return id;
  }

  return {
    wsPaths: ['/ws/exam-events', '/ws/exam-terminal'],

    router(ctx: ExtensionContext) {
      const r = express.Router();
      // Shells close once an exam is over (graded, failed, cancelled).
      const closeTerminalsWhenOver = (id: string) => {
        if (closedTerminals.has(id)) return;
        try {
          service.subscribe(id, (e) => {
            if (e.type === 'state' && e.state !== 'running' && e.state !== 'provisioning') ctx.terminals.closeSession(examTerminalKey(id));
          });
          closedTerminals.add(id);
        } catch {
          /* not in memory */
        }
      };

      r.get('/exams', (_req, res) => {
        res.json({ exams: service.list() });
      });

      r.post('/exams/runs', (req, res) => {
        const body = objectBody(req, '{"examId":"..."}');
        const examId = body.examId;
        if (typeof examId !== 'string' || !SCENARIO_ID_RE.test(examId))
          throw new HttpError(400, 'bad_request', `examId must be a string matching ${SCENARIO_ID_RE.source}`, 'examId');
        const { run, ownerToken } = service.start(examId);
        closeTerminalsWhenOver(run.id);
        res.setHeader('Set-Cookie', examCookie(run.id, ownerToken, ctx.secureCookies));
        ctx.log(`exam run ${run.id} started for ${examId}`);
        res.status(201).json({ run, ownerToken });
      });

      r.get('/exams/runs', (req, res) => {
        const cookies = parseCookies(req.headers.cookie);
        const mine = service
          .runIds()
          .filter((id) => service.verifyOwner(id, cookies.get(examCookieName(id))))
          .map((id) => {
            const v = service.view(id);
            return { id, examId: v.examId, title: v.title, state: v.state, createdAt: v.createdAt, deadlineAt: v.deadlineAt, totalPercent: v.results?.totalPercent, passed: v.results?.passed };
          });
        res.json({ runs: mine });
      });

      r.get('/exams/runs/:id', (req, res) => {
        const id = owned(req);
        closeTerminalsWhenOver(id);
        res.json({ run: service.view(id) });
      });

      r.get('/exams/runs/:id/events', (req, res) => {
        res.json({ events: service.history(owned(req)) });
      });

      r.put('/exams/runs/:id/tasks/:index/flag', (req, res) => {
        const id = owned(req);
        const index = Number(req.params.index);
        if (!/^\d{1,3}$/.test(String(req.params.index)) || !Number.isInteger(index))
          throw new HttpError(400, 'bad_request', 'task index must be a non-negative integer', 'index');
        const body = objectBody(req, '{"flagged":true}');
        if (typeof body.flagged !== 'boolean') throw new HttpError(400, 'bad_request', 'flagged must be true or false', 'flagged');
        res.json({ run: service.setFlag(id, index, body.flagged) });
      });

      r.put('/exams/runs/:id/notes', (req, res) => {
        const id = owned(req);
        const body = objectBody(req, '{"notes":"..."}');
        if (typeof body.notes !== 'string') throw new HttpError(400, 'bad_request', 'notes must be a string', 'notes');
        if (body.notes.length > MAX_NOTES) throw new HttpError(400, 'bad_request', `notes are limited to ${MAX_NOTES} characters`, 'notes');
        res.json({ run: service.setNotes(id, body.notes) });
      });

      r.post('/exams/runs/:id/submit', async (req, res) => {
        const id = owned(req);
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (body.confirm !== true)
          throw new HttpError(400, 'bad_request', 'submitting ends the exam and grades it once; send {"confirm":true} to confirm', 'confirm');
        ctx.terminals.closeSession(examTerminalKey(id));
        res.json({ run: await service.submit(id) });
      });

      r.delete('/exams/runs/:id', async (req, res) => {
        const id = owned(req);
        ctx.terminals.closeSession(examTerminalKey(id));
        res.json({ run: await service.cancel(id) });
      });
      return r;
    },

    upgrade(req, socket, head, url, ctx) {
      const id = url.searchParams.get('run') ?? '';
      if (!EXAM_RUN_ID.test(id)) return ctx.reject(socket, 400, 'bad_request', `run must match ${EXAM_RUN_ID.source}`);
      if (!service.has(id)) return ctx.reject(socket, 404, 'not_found', `unknown exam run ${id}`);
      if (!service.verifyOwner(id, tokenFrom(req, id))) return ctx.reject(socket, 403, 'forbidden', `exam run ${id} belongs to another browser`);

      if (url.pathname === '/ws/exam-events') {
        ctx.wss.handleUpgrade(req, socket, head, (ws) => {
          ctx.track(ws);
          liveSockets.add(ws);
          streamEvents(ws, id);
        });
        return;
      }
      const node = url.searchParams.get('node') ?? '';
      if (!NODE_NAME_RE.test(node)) return ctx.reject(socket, 400, 'bad_request', `node must match ${NODE_NAME_RE.source}`);
      if (!service.nodesOf(id).includes(node)) return ctx.reject(socket, 404, 'not_found', `node ${node} is not part of exam run ${id}`);
      if (service.stateOf(id) !== 'running') return ctx.reject(socket, 400, 'not_ready', `exam run ${id} is ${service.stateOf(id)}; terminals work while it is running`);
      const cols = clampInt(url.searchParams.get('cols'), 80, 2, 1000);
      const rows = clampInt(url.searchParams.get('rows'), 24, 2, 500);
      ctx.wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.track(ws);
        try {
          ctx.terminals.attach(ws, examTerminalKey(id), node, () => service.shell(id, node), { cols, rows });
        } catch (e) {
          ws.send(JSON.stringify({ type: 'error', code: 'spawn_failed', message: `could not open a shell on ${node}: ${(e as Error).message}` }));
          ws.close(1011, 'spawn failed');
        }
      });

      function streamEvents(ws: WebSocket, runId: string): void {
        const send = (m: unknown) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
        };
        let unsubscribe: () => void = () => {};
        const sendRun = () => {
          try {
            send({ type: 'run', run: service.view(runId) });
          } catch {
            /* gone */
          }
        };
        try {
          unsubscribe = service.subscribe(runId, (e: ExamEvent) => {
            send({ type: 'event', event: e });
            if (e.type === 'state' || e.type === 'cluster' || e.type === 'alert') sendRun();
          });
        } catch {
          /* finished runs loaded from the database: no live events */
        }
        sendRun();
        send({ type: 'history', events: service.history(runId) });
        ws.on('message', (data: Buffer) => {
          try {
            if ((JSON.parse(data.toString()) as { type?: string }).type === 'ping') return send({ type: 'pong', serverNow: new Date().toISOString() });
          } catch {
            /* fallthrough */
          }
          send({ type: 'error', message: 'this socket only accepts {"type":"ping"}' });
        });
        ws.on('close', () => {
          unsubscribe();
          liveSockets.delete(ws);
        });
        ws.on('error', () => {});
      }
    },

    solutionRefusal(session) {
      const run = service.activeRunWith(session.scenarioId);
      if (!run) return undefined;
      return `this scenario is a task of the mock exam "${run.title}" (run ${run.id}), which is under way: its solution stays hidden until the exam is submitted or its time is up`;
    },

    close() {
      for (const ws of liveSockets) ws.terminate();
    },
  };
}

function clampInt(v: string | null, dflt: number, min: number, max: number): number {
  const n = v === null ? NaN : Number(v);
  if (!Number.isInteger(n)) return dflt;
  return Math.min(max, Math.max(min, n));
}
