/**
 * The HTTP + WebSocket front of Kubedrill.
 *
 * REST under /api (JSON in, JSON out; errors are {error, message, field?}),
 * WebSockets at /ws/events and /ws/terminal, and the built web app (web/dist).
 *
 * Ownership: POST /api/sessions issues a random owner token, returned in the
 * body and set as an httpOnly SameSite=Strict cookie named per session
 * (kd_owner_<id>). Every session endpoint and WebSocket requires it (cookie,
 * or the X-Kubedrill-Owner header for non-browser clients).
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConflictError, NotFoundError, type EngineApi, type SessionEvent, type SessionInfo } from '../engine/types.js';
import {
  NODE_NAME_RE,
  OwnerTokens,
  SCENARIO_ID_RE,
  SESSION_ID_RE,
  TOKEN_HEADER,
  clearOwnerCookie,
  cookieName,
  hostAllowed,
  originAllowed,
  ownerCookie,
  parseCookies,
  type HostPolicy,
} from './security.js';
import { HttpError } from './errors.js';
import { TerminalManager } from './terminals.js';

export interface AppOptions {
  /** Built web app folder; default <repo>/web/dist. */
  webDist?: string;
  /** Extra origins allowed for WebSockets and API writes (e.g. the vite dev server). */
  allowedOrigins?: string[];
  /** Extra Host names the server answers to (loopback names always work); "*" disables the check. */
  allowedHosts?: string[];
  /** Session id pattern, if the engine makes ids that differ from the default. */
  sessionIdPattern?: RegExp;
  /** Detached terminal grace period (ms). */
  terminalGraceMs?: number;
  /** Scrollback replayed on reattach (bytes). */
  scrollbackBytes?: number;
  /** Mark cookies Secure (when served behind TLS). */
  secureCookies?: boolean;
  log?: (line: string) => void;
  /** More API routes and WebSockets (mock exams, progress): e.g. server/http/exams.ts. */
  extensions?: AppExtension[];
}

/** What an extension gets: the shared terminal manager, the WebSocket server and helpers. */
export interface ExtensionContext {
  terminals: TerminalManager;
  wss: WebSocketServer;
  /** Tracks a socket so close() terminates it. */
  track(ws: WebSocket): void;
  reject(socket: Duplex, status: number, code: string, message: string): void;
  secureCookies: boolean;
  log: (line: string) => void;
}

export interface AppExtension {
  /** Mounted on the /api router (after the session routes, before the 404 fallback). */
  router?(ctx: ExtensionContext): express.Router;
  /** WebSocket paths it serves; Host and Origin are checked before upgrade() is called. */
  wsPaths?: string[];
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, ctx: ExtensionContext): void;
  /** Why a training session's solution may not be shown now (403), or undefined to allow it. */
  solutionRefusal?(session: SessionInfo): string | undefined;
  close?(): void;
}

export interface CreatedApp {
  app: express.Express;
  attachWebSockets(server: Server): void;
  /** Closes sockets and shells (the engine is shut down by its owner). */
  close(): void;
  terminals: TerminalManager;
  tokens: OwnerTokens;
}

const STAGES_WITH_SHELL = new Set(['ready', 'grading']); // the stages engine.shell accepts
const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

function notBuiltPage(dir: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kubedrill: web app not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1d2330}code{background:#eef1f6;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>The Kubedrill web app has not been built yet</h1>
<p>The server is running and the API works, but <code>${dir.replace(/[<>&]/g, '')}</code> has no <code>index.html</code>.</p>
<p>Build it once with:</p><pre><code>npm run build:web</code></pre><p>then reload this page.</p></body></html>`;
}

export function createApp(engine: EngineApi, opts: AppOptions = {}): CreatedApp {
  const log = opts.log ?? (() => {});
  const policy: HostPolicy = { allowedHosts: opts.allowedHosts ?? [], allowedOrigins: opts.allowedOrigins ?? [] };
  const sessionRe = opts.sessionIdPattern ?? SESSION_ID_RE;
  const tokens = new OwnerTokens();
  const terminals = new TerminalManager({ graceMs: opts.terminalGraceMs, scrollbackBytes: opts.scrollbackBytes, log });
  /** Hint texts and solution revealed so far, so a reload shows them again. */
  const revealed = new Map<string, { hints: string[]; solution?: string }>();
  const sockets = new Set<WebSocket>();
  // maxPayload is above the 64 KiB protocol limit so an oversized frame gets a
  // clear error frame instead of a dropped connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const webDist = opts.webDist ?? DEFAULT_WEB_DIST;
  const extensions = opts.extensions ?? [];

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('etag', false);

  // Security headers and DNS-rebinding protection on every request.
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!hostAllowed(req.headers.host, policy)) {
      res.status(403).json({ error: 'forbidden_host', message: `Host ${JSON.stringify(req.headers.host ?? '')} is not allowed; open Kubedrill via 127.0.0.1 or localhost, or start it with --allow-host` });
      return;
    }
    next();
  });

  const api = express.Router();
  api.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    // Writes from a browser must come from our own origin (or an allow-listed one).
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== undefined && !originAllowed(origin, req.headers.host, policy)) {
      next(new HttpError(403, 'forbidden_origin', `Origin ${origin} may not call this API`));
      return;
    }
    next();
  });
  api.use(express.json({ limit: '16kb', strict: true }));

  function sessionIdParam(req: Request): string {
    const id = req.params.id;
    if (typeof id !== 'string' || !sessionRe.test(id))
      throw new HttpError(400, 'bad_request', `session id must match ${sessionRe.source}`, 'id');
    return id;
  }

  function tokenFrom(req: IncomingMessage, sessionId: string): string | undefined {
    const h = req.headers[TOKEN_HEADER];
    if (typeof h === 'string' && h) return h;
    return parseCookies(req.headers.cookie).get(cookieName(sessionId));
  }

  /** Validates the id, checks the session exists (404) and that the caller owns it (403). */
  function ownedSession(req: Request): SessionInfo {
    const id = sessionIdParam(req);
    const info = engine.getSession(id); // NotFoundError -> 404
    if (!tokens.verify(id, tokenFrom(req, id)))
      throw new HttpError(403, 'forbidden', `session ${id} belongs to another browser: the owner token is missing or wrong`);
    return info;
  }

  /** Drops owner tokens and revealed hints of sessions the engine has forgotten (ended a while ago). */
  function forgetDroppedSessions(): void {
    const known = new Set(engine.listSessions().map((s) => s.id));
    for (const id of new Set([...tokens.sessionIds(), ...revealed.keys()])) {
      if (known.has(id)) continue;
      tokens.forget(id);
      revealed.delete(id);
    }
  }

  function view(info: SessionInfo) {
    const r = revealed.get(info.id);
    return { ...info, hints: r?.hints ?? [], solution: r?.solution };
  }

  api.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  api.get('/scenarios', (_req, res) => {
    res.json({ scenarios: engine.listScenarios() });
  });

  /** Sessions this browser owns (by cookie). */
  api.get('/sessions', (req, res) => {
    forgetDroppedSessions();
    const cookies = parseCookies(req.headers.cookie);
    const mine = engine
      .listSessions()
      .filter((s) => tokens.verify(s.id, cookies.get(cookieName(s.id))))
      .map((s) => ({ id: s.id, scenarioId: s.scenarioId, stage: s.stage, createdAt: s.createdAt }));
    res.json({ sessions: mine });
  });

  api.post('/sessions', (req, res) => {
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpError(400, 'bad_request', 'request body must be a JSON object like {"scenarioId":"..."}', 'body');
    const scenarioId = (body as Record<string, unknown>).scenarioId;
    if (typeof scenarioId !== 'string' || !SCENARIO_ID_RE.test(scenarioId))
      throw new HttpError(400, 'bad_request', `scenarioId must be a string matching ${SCENARIO_ID_RE.source}`, 'scenarioId');
    forgetDroppedSessions();
    const info = engine.startSession(scenarioId); // ConflictError (409) when the session limit is reached
    const token = tokens.issue(info.id);
    res.setHeader('Set-Cookie', ownerCookie(info.id, token, !!opts.secureCookies));
    log(`session ${info.id} started for ${scenarioId}`);
    res.status(201).json({ session: view(info), ownerToken: token });
  });

  api.get('/sessions/:id', (req, res) => {
    res.json({ session: view(ownedSession(req)) });
  });

  api.get('/sessions/:id/events', (req, res) => {
    const info = ownedSession(req);
    res.json({ events: engine.history(info.id) });
  });

  api.post('/sessions/:id/check', async (req, res) => {
    const info = ownedSession(req);
    const grade = await engine.check(info.id);
    res.json({ grade });
  });

  api.post('/sessions/:id/hint', (req, res) => {
    const info = ownedSession(req);
    const hint = engine.revealHint(info.id);
    const r = revealed.get(info.id) ?? { hints: [] };
    r.hints[hint.index] = hint.text;
    revealed.set(info.id, r);
    res.json({ hint, hints: r.hints });
  });

  api.post('/sessions/:id/solution', (req, res) => {
    const info = ownedSession(req);
    for (const ext of extensions) {
      const reason = ext.solutionRefusal?.(info);
      if (reason) throw new HttpError(403, 'solution_locked', reason);
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.confirm !== true)
      throw new HttpError(400, 'bad_request', 'viewing the solution is recorded; send {"confirm":true} to confirm', 'confirm');
    const sol = engine.viewSolution(info.id);
    const r = revealed.get(info.id) ?? { hints: [] };
    r.solution = sol.steps;
    revealed.set(info.id, r);
    res.json({ solution: sol });
  });

  api.post('/sessions/:id/reset', async (req, res) => {
    const info = ownedSession(req);
    await engine.reset(info.id);
    res.json({ session: view(engine.getSession(info.id)) });
  });

  api.delete('/sessions/:id', async (req, res) => {
    const info = ownedSession(req);
    terminals.closeSession(info.id);
    await engine.end(info.id);
    res.setHeader('Set-Cookie', clearOwnerCookie(info.id));
    let after: SessionInfo | undefined;
    try {
      after = engine.getSession(info.id);
    } catch {
      /* the engine may forget ended sessions */
    }
    res.json({ ended: true, session: after ? view(after) : undefined });
  });

  for (const ext of extensions) if (ext.router) api.use(ext.router(extCtx()));

  api.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no API route ${req.method} ${req.path}`));
  });

  // JSON errors; never a stack trace to the client.
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
      return;
    }
    if (err instanceof NotFoundError || (err as Error)?.name === 'NotFoundError') {
      res.status(404).json({ error: 'not_found', message: (err as Error).message });
      return;
    }
    if (err instanceof ConflictError || (err as Error)?.name === 'ConflictError') {
      res.status(409).json({ error: 'conflict', message: (err as Error).message });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'bad_request', message: 'request body is not valid JSON', field: 'body' });
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: 'too_large', message: 'request body is larger than 16 KiB', field: 'body' });
      return;
    }
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: 'bad_request', message: String(e.message ?? 'bad request') });
      return;
    }
    const msg = err instanceof Error ? err.message : String(err);
    log(`api error: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
    res.status(500).json({ error: 'internal', message: msg.split('\n')[0]!.slice(0, 500) });
  });

  app.use('/api', api);

  // The web app.
  const indexHtml = path.join(webDist, 'index.html');
  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD')
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
      );
    next();
  });
  app.use(express.static(webDist, { index: 'index.html', maxAge: 0, fallthrough: true }));
  app.get(/^\/(?!api\/|ws\/).*/, (_req, res) => {
    if (existsSync(indexHtml)) res.sendFile(indexHtml);
    else res.status(503).type('html').send(notBuiltPage(webDist));
  });

  // ---- WebSockets -----------------------------------------------------------
  function extCtx(): ExtensionContext {
    return {
      terminals,
      wss,
      track: (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
      },
      reject,
      secureCookies: !!opts.secureCookies,
      log,
    };
  }

  function reject(socket: Duplex, status: number, code: string, message: string): void {
    const body = JSON.stringify({ error: code, message });
    const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Error';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(socket, 400, 'bad_request', 'malformed URL');
    }
    const ext = extensions.find((e) => e.wsPaths?.includes(url.pathname));
    if (url.pathname !== '/ws/events' && url.pathname !== '/ws/terminal' && !ext) return reject(socket, 404, 'not_found', `no WebSocket at ${url.pathname}`);
    if (!hostAllowed(req.headers.host, policy)) return reject(socket, 403, 'forbidden_host', 'Host header not allowed');
    if (!originAllowed(req.headers.origin, req.headers.host, policy))
      return reject(socket, 403, 'forbidden_origin', `Origin ${req.headers.origin ?? '(none)'} may not open this WebSocket`);
    if (ext) return ext.upgrade!(req, socket, head, url, extCtx());
    const sessionId = url.searchParams.get('session') ?? '';
    if (!sessionRe.test(sessionId)) return reject(socket, 400, 'bad_request', `session must match ${sessionRe.source}`);
    let info: SessionInfo;
    try {
      info = engine.getSession(sessionId);
    } catch {
      return reject(socket, 404, 'not_found', `unknown session ${sessionId}`);
    }
    if (!tokens.verify(sessionId, tokenFrom(req, sessionId)))
      return reject(socket, 403, 'forbidden', `session ${sessionId} belongs to another browser`);

    if (url.pathname === '/ws/events') {
      wss.handleUpgrade(req, socket, head, (ws) => streamEvents(ws, sessionId));
      return;
    }
    const node = url.searchParams.get('node') ?? '';
    if (!NODE_NAME_RE.test(node)) return reject(socket, 400, 'bad_request', `node must match ${NODE_NAME_RE.source}`);
    if (!info.nodes.some((n) => n.name === node)) return reject(socket, 404, 'not_found', `node ${node} is not part of session ${sessionId}`);
    if (!STAGES_WITH_SHELL.has(info.stage)) return reject(socket, 400, 'not_ready', `session ${sessionId} is ${info.stage}; terminals open once it is ready`);
    const cols = clampInt(url.searchParams.get('cols'), 80, 2, 1000);
    const rows = clampInt(url.searchParams.get('rows'), 24, 2, 500);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      try {
        terminals.attach(ws, sessionId, node, () => engine.shell(sessionId, node), { cols, rows });
      } catch (e) {
        ws.send(JSON.stringify({ type: 'error', code: 'spawn_failed', message: `could not open a shell on ${node}: ${(e as Error).message}` }));
        ws.close(1011, 'spawn failed');
      }
    });
  }

  function streamEvents(ws: WebSocket, sessionId: string): void {
    sockets.add(ws);
    const queue: SessionEvent[] = [];
    let live = false;
    const seen = new Set<string>();
    const keyOf = (e: SessionEvent) => `${e.at}|${e.type}|${e.stage ?? ''}|${e.message}`;
    const send = (m: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const deliver = (e: SessionEvent) => {
      const k = keyOf(e);
      if (seen.has(k)) return;
      seen.add(k);
      send({ type: 'event', event: e });
      if (e.type === 'stage') {
        try {
          send({ type: 'session', session: view(engine.getSession(sessionId)) });
        } catch {
          /* gone */
        }
        if (e.stage === 'ended') terminals.closeSession(sessionId);
      }
    };
    let unsubscribe: () => void = () => {};
    try {
      unsubscribe = engine.subscribe(sessionId, (e) => (live ? deliver(e) : queue.push(e)));
      const history = engine.history(sessionId);
      for (const e of history) seen.add(keyOf(e));
      send({ type: 'session', session: view(engine.getSession(sessionId)) });
      send({ type: 'history', events: history });
      live = true;
      for (const e of queue) deliver(e);
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
      ws.close(1011, 'subscribe failed');
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary || data.length > 1024) return send({ type: 'error', message: 'this socket only accepts {"type":"ping"}' });
      try {
        if ((JSON.parse(data.toString()) as { type?: string }).type === 'ping') return send({ type: 'pong' });
      } catch {
        /* fallthrough */
      }
      send({ type: 'error', message: 'this socket only accepts {"type":"ping"}' });
    });
    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
    ws.on('error', () => {});
  }

  return {
    app,
    terminals,
    tokens,
    attachWebSockets(server: Server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        try {
          handleUpgrade(req, socket, head);
        } catch (e) {
          log(`upgrade error: ${(e as Error).message}`);
          socket.destroy();
        }
      });
    },
    close() {
      for (const ext of extensions) ext.close?.();
      terminals.closeAll();
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}

function clampInt(v: string | null, dflt: number, min: number, max: number): number {
  const n = v === null ? NaN : Number(v);
  if (!Number.isInteger(n)) return dflt;
  return Math.min(max, Math.max(min, n));
}
