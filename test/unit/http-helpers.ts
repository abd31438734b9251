/** Shared helpers for the HTTP/WebSocket tests: a server on a free port with the fake engine. */
import WebSocket from 'ws';
import { createApp, type AppOptions } from '../../server/http/app.js';
import { FakeEngine, type FakeEngineOptions } from '../fake-engine.js';
import { serveFakeEngine, type ServedFakeEngine } from '../helpers/serve-app.js';

export interface TestServer extends ServedFakeEngine {
  base: string;
  origin: string;
}

export async function startTestServer(appOpts: AppOptions = {}, engineOpts: FakeEngineOptions = { stepMs: 5 }): Promise<TestServer> {
  const engine = new FakeEngine(engineOpts);
  const created = createApp(engine, { webDist: '/nonexistent-kubedrill-dist', ...appOpts });
  const served = await serveFakeEngine(engine, created);
  return { ...served, base: `http://127.0.0.1:${served.port}`, origin: `http://127.0.0.1:${served.port}` };
}

export interface Started {
  id: string;
  token: string;
  cookie: string;
  nodes: string[];
}

export async function startSession(ts: TestServer, scenarioId = 'fake-broken-kubelet', waitReady = true): Promise<Started> {
  const res = await fetch(`${ts.base}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ts.origin },
    body: JSON.stringify({ scenarioId }),
  });
  if (res.status !== 201) throw new Error(`start failed ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { session: { id: string }; ownerToken: string };
  const cookie = setCookie.split(';')[0]!;
  const id = body.session.id;
  if (waitReady) await waitForStage(ts, id, cookie, 'ready');
  const info = ts.engine.getSession(id);
  return { id, token: body.ownerToken, cookie, nodes: info.nodes.map((n) => n.name) };
}

export async function waitForStage(ts: TestServer, id: string, cookie: string, stage: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const r = await fetch(`${ts.base}/api/sessions/${id}`, { headers: { cookie } });
    const b = (await r.json()) as { session?: { stage: string } };
    if (b.session?.stage === stage) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`session ${id} did not reach ${stage} (is ${b.session?.stage})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP status when the upgrade is refused. */
export interface Opened {
  ws?: WebSocket;
  status?: number;
  body?: string;
  /** Messages that arrived before the caller attached its own listener. */
  early: Array<[Buffer, boolean]>;
  /** Stops buffering into `early` (call once you listen yourself). */
  detach?: () => void;
}

export function openWs(url: string, headers: Record<string, string>): Promise<Opened> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.binaryType = 'nodebuffer';
    const early: Array<[Buffer, boolean]> = [];
    const buffer = (d: Buffer, isBinary: boolean) => early.push([d, isBinary]);
    ws.on('message', buffer);
    ws.once('open', () => resolve({ ws, early, detach: () => ws.off('message', buffer) }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body, early }));
    });
    ws.once('error', () => resolve({ status: -1, early }));
  });
}

/** Collects terminal output (binary frames) and control messages (text frames). */
export class TermClient {
  out = '';
  controls: Array<Record<string, unknown>> = [];
  closed = false;
  readonly ws: WebSocket;
  constructor(opened: Opened) {
    const ws = opened.ws!;
    this.ws = ws;
    opened.detach?.();
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.out += data.toString('utf8');
      else this.controls.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
    };
    for (const [d, b] of opened.early) onMessage(d, b);
    ws.on('message', onMessage);
    ws.on('close', () => (this.closed = true));
  }
  type(s: string): void {
    this.ws.send(Buffer.from(s, 'utf8'), { binary: true });
  }
  async waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; output so far: ${JSON.stringify(this.out.slice(-500))} controls: ${JSON.stringify(this.controls)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  waitOutput(re: RegExp, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => re.test(this.out), `output ${re}`, timeoutMs);
  }
  waitControl(type: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor(() => this.controls.some((c) => c.type === type), `control ${type}`, timeoutMs).then(
      () => this.controls.find((c) => c.type === type)!,
    );
  }
  close(): Promise<void> {
    return new Promise((r) => {
      if (this.closed) return r();
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}
