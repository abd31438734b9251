import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWs, startSession, startTestServer, TermClient, type TestServer } from './http-helpers.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ terminalGraceMs: 3000 });
});
afterAll(async () => {
  await ts.close();
});

const wsBase = () => `ws://127.0.0.1:${ts.port}`;

async function openTerm(id: string, node: string, cookie: string): Promise<TermClient> {
  const r = await openWs(`${wsBase()}/ws/terminal?session=${id}&node=${node}&cols=100&rows=30`, { origin: ts.origin, cookie });
  if (!r.ws) throw new Error(`terminal refused: ${r.status} ${r.body}`);
  const t = new TermClient(r);
  await t.waitControl('attached');
  return t;
}

describe('WebSocket origin and ownership checks', () => {
  it('rejects foreign or missing Origin with 403 before upgrade on both sockets', async () => {
    const s = await startSession(ts);
    const urls = [`${wsBase()}/ws/events?session=${s.id}`, `${wsBase()}/ws/terminal?session=${s.id}&node=${s.nodes[0]}`];
    for (const url of urls) {
      for (const origin of ['https://evil.example', 'http://127.0.0.1:1', 'null', 'http://localhost.evil.example']) {
        const r = await openWs(url, { origin, cookie: s.cookie });
        expect(r.status, `${url} ${origin}`).toBe(403);
        expect(JSON.parse(r.body!).error).toBe('forbidden_origin');
      }
      const none = await openWs(url, { cookie: s.cookie });
      expect(none.status).toBe(403);
    }
  });

  it('accepts an allow-listed origin', async () => {
    const other = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
    try {
      const s = await startSession(other);
      const r = await openWs(`ws://127.0.0.1:${other.port}/ws/events?session=${s.id}`, { origin: 'http://localhost:5173', cookie: s.cookie });
      expect(r.ws).toBeDefined();
      r.ws!.close();
    } finally {
      await other.close();
    }
  });

  it('requires the owner token and valid ids', async () => {
    const s = await startSession(ts);
    const h = { origin: ts.origin };
    expect((await openWs(`${wsBase()}/ws/events?session=${s.id}`, h)).status).toBe(403);
    expect((await openWs(`${wsBase()}/ws/terminal?session=${s.id}&node=${s.nodes[0]}`, h)).status).toBe(403);
    expect((await openWs(`${wsBase()}/ws/events?session=../x`, { ...h, cookie: s.cookie })).status).toBe(400);
    expect((await openWs(`${wsBase()}/ws/events?session=abcdef0123`, { ...h, cookie: s.cookie })).status).toBe(404);
    const badNode = await openWs(`${wsBase()}/ws/terminal?session=${s.id}&node=$(reboot)`, { ...h, cookie: s.cookie });
    expect(badNode.status).toBe(400);
    const foreignNode = await openWs(`${wsBase()}/ws/terminal?session=${s.id}&node=kd-other-worker`, { ...h, cookie: s.cookie });
    expect(foreignNode.status).toBe(404);
    expect(JSON.parse(foreignNode.body!).message).toContain('kd-other-worker');
    expect((await openWs(`${wsBase()}/ws/nothing`, h)).status).toBe(404);
  });
});

describe('/ws/events', () => {
  it('streams history first, then live events', async () => {
    const s = await startSession(ts);
    const r = await openWs(`${wsBase()}/ws/events?session=${s.id}`, { origin: ts.origin, cookie: s.cookie });
    const msgs: Array<{ type: string; events?: unknown[]; event?: { type: string; message: string } }> = [];
    r.detach?.();
    for (const [d] of r.early) msgs.push(JSON.parse(d.toString()));
    r.ws!.on('message', (d: Buffer) => msgs.push(JSON.parse(d.toString())));
    const until = async (pred: () => boolean) => {
      const t0 = Date.now();
      while (!pred()) {
        if (Date.now() - t0 > 3000) throw new Error(JSON.stringify(msgs));
        await new Promise((x) => setTimeout(x, 10));
      }
    };
    await until(() => msgs.some((m) => m.type === 'history'));
    const hist = msgs.find((m) => m.type === 'history')!;
    expect(hist.events!.length).toBeGreaterThan(5);
    const firstEvent = msgs.findIndex((m) => m.type === 'event');
    if (firstEvent >= 0) expect(msgs.findIndex((m) => m.type === 'history')).toBeLessThan(firstEvent);
    await fetch(`${ts.base}/api/sessions/${s.id}/check`, { method: 'POST', headers: { origin: ts.origin, cookie: s.cookie } });
    await until(() => msgs.some((m) => m.type === 'event' && m.event!.type === 'grade'));
    r.ws!.close();
  });
});

describe('/ws/terminal', () => {
  it('round-trips a real pty: echo kd-$((40+2)) prints kd-42', async () => {
    const s = await startSession(ts);
    const t = await openTerm(s.id, s.nodes[0]!, s.cookie);
    t.type('echo kd-$((40+2))\r');
    await t.waitOutput(/kd-42/);
    await t.close();
  });

  it('answers garbage with error frames and keeps the pty', async () => {
    const s = await startSession(ts);
    const t = await openTerm(s.id, s.nodes[0]!, s.cookie);
    const pid = ts.created.terminals.pidOf(s.id, s.nodes[0]!);
    const garbage: Array<string | Buffer> = [
      'not json at all',
      '{"type":"resize","cols":"80","rows":24}',
      '{"type":"resize","cols":99999,"rows":24}',
      '[1,2,3]',
      '{"type":"launch-missiles"}',
      '{"type":"input","data":42}',
      'null',
    ];
    for (const g of garbage) t.ws.send(g);
    t.ws.send(Buffer.alloc(70 * 1024, 0x61), { binary: true });
    await t.waitFor(() => t.controls.filter((c) => c.type === 'error').length >= garbage.length + 1, 'error frames');
    const errors = t.controls.filter((c) => c.type === 'error');
    expect(errors.map((e) => e.code)).toContain('frame_too_large');
    expect(String(errors.find((e) => e.code === 'frame_too_large')!.message)).toMatch(/64 KiB/);
    expect(errors.every((e) => typeof e.message === 'string' && (e.message as string).length > 10)).toBe(true);
    expect(t.closed).toBe(false);
    expect(ts.created.terminals.pidOf(s.id, s.nodes[0]!)).toBe(pid);
    // JSON input and resize still work.
    t.ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 40 }));
    t.ws.send(JSON.stringify({ type: 'input', data: 'echo cols=$(tput cols)\r' }));
    await t.waitOutput(/cols=123/);
    t.ws.send(JSON.stringify({ type: 'ping' }));
    await t.waitControl('pong');
    await t.close();
  });

  it('keeps the shell across a reconnect and replays scrollback', async () => {
    const s = await startSession(ts);
    const node = s.nodes[0]!;
    const t1 = await openTerm(s.id, node, s.cookie);
    t1.type('KD_MARK=persisted; echo before-$((1+1))\r');
    await t1.waitOutput(/before-2/);
    const pid = ts.created.terminals.pidOf(s.id, node);
    await t1.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(ts.created.terminals.pidOf(s.id, node)).toBe(pid);

    const t2 = await openTerm(s.id, node, s.cookie);
    expect(t2.controls.find((c) => c.type === 'attached')!.reattached).toBe(true);
    await t2.waitOutput(/before-2/); // scrollback replay
    t2.type('echo var=$KD_MARK\r');
    await t2.waitOutput(/var=persisted/); // same shell
    expect(ts.created.terminals.pidOf(s.id, node)).toBe(pid);
    await t2.close();
  });

  it('one tab per node: a second tab takes over and the first is told why', async () => {
    const s = await startSession(ts);
    const node = s.nodes[0]!;
    const t1 = await openTerm(s.id, node, s.cookie);
    const t2 = await openTerm(s.id, node, s.cookie);
    const err = await t1.waitControl('error');
    expect(err.code).toBe('replaced');
    await t1.waitFor(() => t1.closed, 'first tab closed');
    t2.type('echo still-$((3*3))\r');
    await t2.waitOutput(/still-9/);
    await t2.close();
  });

  it('reports shell exit and kills shells when the session ends', async () => {
    const s = await startSession(ts);
    const t = await openTerm(s.id, s.nodes[0]!, s.cookie);
    t.type('exit 3\r');
    const ex = await t.waitControl('exit');
    expect(ex.exitCode).toBe(3);

    const t2 = await openTerm(s.id, s.nodes[0]!, s.cookie);
    expect(t2.controls.find((c) => c.type === 'attached')!.reattached).toBe(false);
    await fetch(`${ts.base}/api/sessions/${s.id}`, { method: 'DELETE', headers: { origin: ts.origin, cookie: s.cookie } });
    await t2.waitFor(() => t2.closed, 'closed after end');
    expect(ts.created.terminals.pidOf(s.id, s.nodes[0]!)).toBeUndefined();
  });

  it('closes a detached shell after the grace period', async () => {
    const other = await startTestServer({ terminalGraceMs: 150 });
    try {
      const s = await startSession(other);
      const r = await openWs(`ws://127.0.0.1:${other.port}/ws/terminal?session=${s.id}&node=${s.nodes[0]}`, { origin: other.origin, cookie: s.cookie });
      const t = new TermClient(r);
      await t.waitControl('attached');
      await t.close();
      expect(other.created.terminals.size).toBe(1);
      await new Promise((x) => setTimeout(x, 400));
      expect(other.created.terminals.size).toBe(0);
    } finally {
      await other.close();
    }
  });
});
