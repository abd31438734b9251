/**
 * Terminal sessions: one node-pty process per (session, node), kept alive for
 * a grace period after its WebSocket goes away so a page reload reattaches to
 * the same shell, with a scrollback ring buffer replayed on reattach.
 *
 * Wire protocol on /ws/terminal:
 *   client -> server  binary frame: raw input bytes for the pty
 *                     text frame:   JSON {type:"input",data:string}
 *                                         {type:"resize",cols:int,rows:int}
 *                                         {type:"ping"}
 *   server -> client  binary frame: pty output bytes
 *                     text frame:   JSON {type:"attached",node,reattached,cols,rows}
 *                                         {type:"error",code,message}
 *                                         {type:"exit",exitCode,signal?}
 *                                         {type:"pong"}
 */
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import type { WebSocket, RawData } from 'ws';

export const MAX_FRAME_BYTES = 64 * 1024;

export interface TerminalOptions {
  /** How long a detached shell is kept (ms). Default 10 minutes. */
  graceMs?: number;
  /** Scrollback kept for replay (bytes). Default 200 KiB. */
  scrollbackBytes?: number;
  log?: (line: string) => void;
}

/** A byte ring buffer keeping the last `cap` bytes written. */
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly cap: number) {}

  push(b: Buffer): void {
    if (b.length >= this.cap) {
      this.chunks = [Buffer.from(b.subarray(b.length - this.cap))];
      this.size = this.cap;
      return;
    }
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.cap) {
      const first = this.chunks[0]!;
      const over = this.size - this.cap;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
    }
  }

  /** Contents; when the buffer wrapped, starts at the first line break so replay does not begin mid-sequence. */
  snapshot(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    if (this.size < this.cap) return all;
    const nl = all.indexOf(0x0a);
    return nl >= 0 && nl < 4096 ? all.subarray(nl + 1) : all;
  }

  get length(): number {
    return this.size;
  }
}

interface Term {
  key: string;
  sessionId: string;
  node: string;
  pty: IPty;
  scrollback: Scrollback;
  client?: WebSocket;
  graceTimer?: NodeJS.Timeout;
  exited: boolean;
}

export type ControlMessage =
  | { type: 'input'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ping' };

/** Parses a text frame; returns the message or a human-readable error. */
export function parseControl(text: string): ControlMessage | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: 'text frames must be JSON control messages ({"type":"resize",...}); send terminal input as binary frames or {"type":"input","data":"..."}' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'control message must be a JSON object with a "type" field' };
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'input':
      if (typeof m.data !== 'string') return { error: 'input message needs "data" as a string' };
      return { type: 'input', data: m.data };
    case 'resize': {
      const { cols, rows } = m;
      if (!Number.isInteger(cols) || !Number.isInteger(rows)) return { error: 'resize message needs integer "cols" and "rows"' };
      if ((cols as number) < 2 || (cols as number) > 1000 || (rows as number) < 2 || (rows as number) > 500)
        return { error: 'resize out of range: cols must be 2..1000 and rows 2..500' };
      return { type: 'resize', cols: cols as number, rows: rows as number };
    }
    case 'ping':
      return { type: 'ping' };
    default:
      return { error: `unknown control message type ${JSON.stringify(String(m.type ?? '')).slice(0, 40)}; expected "input", "resize" or "ping"` };
  }
}

function sendJson(ws: WebSocket | undefined, msg: unknown): void {
  if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

export class TerminalManager {
  private readonly terms = new Map<string, Term>();
  private readonly graceMs: number;
  private readonly scrollbackBytes: number;
  private readonly log: (line: string) => void;

  constructor(opts: TerminalOptions = {}) {
    this.graceMs = opts.graceMs ?? 10 * 60_000;
    this.scrollbackBytes = opts.scrollbackBytes ?? 200 * 1024;
    this.log = opts.log ?? (() => {});
  }

  private static key(sessionId: string, node: string): string {
    return `${sessionId}\u0000${node}`;
  }

  /** Number of live ptys (for tests and status). */
  get size(): number {
    return this.terms.size;
  }

  pidOf(sessionId: string, node: string): number | undefined {
    return this.terms.get(TerminalManager.key(sessionId, node))?.pty.pid;
  }

  /**
   * Attaches a WebSocket to the node's shell, spawning it with `spawnSpec()`
   * if no live shell exists. A second tab on the same node takes over and the
   * first one is told why it was closed.
   */
  attach(
    ws: WebSocket,
    sessionId: string,
    node: string,
    spawnSpec: () => { file: string; args: string[] },
    size: { cols: number; rows: number },
  ): void {
    const key = TerminalManager.key(sessionId, node);
    let t = this.terms.get(key);
    let reattached = false;
    if (t && !t.exited) {
      reattached = true;
      if (t.graceTimer) clearTimeout(t.graceTimer);
      t.graceTimer = undefined;
      if (t.client && t.client !== ws) {
        const old = t.client;
        t.client = undefined;
        sendJson(old, { type: 'error', code: 'replaced', message: `The terminal for ${node} was opened in another tab or window.` });
        old.close(4001, 'opened elsewhere');
      }
    } else {
      const spec = spawnSpec();
      if (typeof spec.file !== 'string' || !Array.isArray(spec.args)) throw new Error('engine returned an invalid shell spec');
      const env: Record<string, string> = {};
      for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'KUBECONFIG']) {
        const v = process.env[k];
        if (v !== undefined) env[k] = v;
      }
      env.TERM = 'xterm-256color';
      env.COLORTERM = 'truecolor';
      // file + argv only: no host shell ever interprets request data.
      const p = pty.spawn(spec.file, spec.args, {
        name: 'xterm-256color',
        cols: size.cols,
        rows: size.rows,
        cwd: process.env.HOME ?? '/',
        env,
        encoding: null,
      });
      const term: Term = { key, sessionId, node, pty: p, scrollback: new Scrollback(this.scrollbackBytes), exited: false };
      t = term;
      this.terms.set(key, term);
      this.log(`terminal: spawned ${spec.file} for ${sessionId}/${node} (pid ${p.pid})`);
      p.onData((d: string | Buffer) => {
        const b = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
        term.scrollback.push(b);
        const c = term.client;
        if (c && c.readyState === c.OPEN) c.send(b, { binary: true });
      });
      p.onExit(({ exitCode, signal }) => {
        term.exited = true;
        if (term.graceTimer) clearTimeout(term.graceTimer);
        if (this.terms.get(key) === term) this.terms.delete(key);
        this.log(`terminal: ${sessionId}/${node} exited (code ${exitCode})`);
        const c = term.client;
        term.client = undefined;
        sendJson(c, { type: 'exit', exitCode, signal });
        c?.close(1000, 'shell exited');
      });
    }
    const term = t;
    term.client = ws;
    if (reattached) {
      try {
        if (term.pty.cols !== size.cols || term.pty.rows !== size.rows) term.pty.resize(size.cols, size.rows);
      } catch {
        /* ignore resize of a dying pty */
      }
    }
    sendJson(ws, { type: 'attached', node, reattached, cols: size.cols, rows: size.rows });
    if (reattached && term.scrollback.length > 0) ws.send(term.scrollback.snapshot(), { binary: true });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (term.client !== ws) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (buf.length > MAX_FRAME_BYTES) {
        sendJson(ws, { type: 'error', code: 'frame_too_large', message: `frame of ${buf.length} bytes ignored: the limit is ${MAX_FRAME_BYTES} bytes (64 KiB); split large pastes` });
        return;
      }
      if (isBinary) {
        if (!term.exited) term.pty.write(buf);
        return;
      }
      const msg = parseControl(buf.toString('utf8'));
      if ('error' in msg) {
        sendJson(ws, { type: 'error', code: 'bad_message', message: msg.error });
        return;
      }
      if (term.exited) return;
      if (msg.type === 'input') term.pty.write(msg.data);
      else if (msg.type === 'resize') {
        try {
          term.pty.resize(msg.cols, msg.rows);
        } catch (e) {
          sendJson(ws, { type: 'error', code: 'resize_failed', message: (e as Error).message });
        }
      } else sendJson(ws, { type: 'pong' });
    });
    ws.on('close', () => {
      if (term.client !== ws) return;
      term.client = undefined;
      if (term.exited) return;
      term.graceTimer = setTimeout(() => {
        if (term.client) return;
        this.log(`terminal: ${sessionId}/${node} detached for ${this.graceMs} ms, closing`);
        this.kill(term);
      }, this.graceMs);
      term.graceTimer.unref();
    });
    ws.on('error', () => {
      /* close follows */
    });
  }

  private kill(t: Term): void {
    if (t.graceTimer) clearTimeout(t.graceTimer);
    if (this.terms.get(t.key) === t) this.terms.delete(t.key);
    if (t.client) {
      sendJson(t.client, { type: 'exit', exitCode: -1, reason: 'session closed' });
      t.client.close(1000, 'session closed');
      t.client = undefined;
    }
    if (!t.exited) {
      t.exited = true;
      try {
        t.pty.kill();
      } catch {
        /* already gone */
      }
    }
  }

  /** Closes every shell of a session (on End, or when the session ends/fails). */
  closeSession(sessionId: string): void {
    for (const t of [...this.terms.values()]) if (t.sessionId === sessionId) this.kill(t);
  }

  closeAll(): void {
    for (const t of [...this.terms.values()]) this.kill(t);
  }
}
