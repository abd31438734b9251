import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession, startTestServer, type TestServer } from './http-helpers.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

async function call(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { origin: ts.origin, ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(ts.base + path, { method, headers, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not json */
  }
  return { status: res.status, json, text, res };
}

describe('REST API', () => {
  it('lists scenarios', async () => {
    const r = await call('GET', '/api/scenarios');
    expect(r.status).toBe(200);
    expect((r.json.scenarios as unknown[]).length).toBe(3);
  });

  it('rejects bad scenario ids with 400 naming the field', async () => {
    for (const scenarioId of ['', 'UPPER', '../etc/passwd', 'a'.repeat(64), 42, null, '-lead']) {
      const r = await call('POST', '/api/sessions', { body: { scenarioId } });
      expect(r.status, JSON.stringify(scenarioId)).toBe(400);
      expect(r.json).toMatchObject({ error: 'bad_request', field: 'scenarioId' });
    }
  });

  it('rejects a missing or non-object body and bad JSON', async () => {
    expect((await call('POST', '/api/sessions')).json).toMatchObject({ error: 'bad_request', field: 'body' });
    expect((await call('POST', '/api/sessions', { body: [1] })).json).toMatchObject({ field: 'body' });
    const bad = await call('POST', '/api/sessions', { raw: '{"scenarioId":' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'bad_request', message: 'request body is not valid JSON' });
    expect(bad.text).not.toMatch(/at .*\.js:\d+/);
  });

  it('answers 404 naming an unknown scenario', async () => {
    const r = await call('POST', '/api/sessions', { body: { scenarioId: 'no-such-scenario' } });
    expect(r.status).toBe(404);
    expect(r.json.message).toContain('no-such-scenario');
  });

  it('validates session ids in the path', async () => {
    for (const id of ['x', '..%2F..', 'a b', 'a'.repeat(80), '%00abc']) {
      const r = await call('GET', `/api/sessions/${id}`);
      expect(r.status, id).toBe(400);
      expect(r.json).toMatchObject({ error: 'bad_request', field: 'id' });
    }
  });

  it('answers 404 naming an unknown session', async () => {
    const r = await call('GET', '/api/sessions/abcdef0123');
    expect(r.status).toBe(404);
    expect(r.json.message).toContain('abcdef0123');
  });

  it('issues an owner token cookie and requires it on every session endpoint', async () => {
    const s = await startSession(ts);
    expect(s.cookie).toMatch(new RegExp(`^kd_owner_${s.id}=`));
    const start = await fetch(`${ts.base}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ts.origin },
      body: JSON.stringify({ scenarioId: 'fake-etcd-backup' }),
    });
    const sc = start.headers.get('set-cookie')!;
    expect(sc).toMatch(/HttpOnly/);
    expect(sc).toMatch(/SameSite=Strict/);

    const endpoints: Array<[string, string]> = [
      ['GET', `/api/sessions/${s.id}`],
      ['GET', `/api/sessions/${s.id}/events`],
      ['POST', `/api/sessions/${s.id}/check`],
      ['POST', `/api/sessions/${s.id}/hint`],
      ['POST', `/api/sessions/${s.id}/solution`],
      ['POST', `/api/sessions/${s.id}/reset`],
      ['DELETE', `/api/sessions/${s.id}`],
    ];
    for (const [m, p] of endpoints) {
      const none = await call(m, p);
      expect(none.status, `${m} ${p} without token`).toBe(403);
      expect(none.json.error).toBe('forbidden');
      const wrong = await call(m, p, { headers: { cookie: `kd_owner_${s.id}=${'A'.repeat(43)}` } });
      expect(wrong.status, `${m} ${p} wrong token`).toBe(403);
      // Another session's cookie does not open this one.
      const other = await call(m, p, { headers: { cookie: sc.split(';')[0]!.replace(/^kd_owner_[^=]+/, `kd_owner_${s.id}`) } });
      expect(other.status).toBe(403);
    }
    const ok = await call('GET', `/api/sessions/${s.id}`, { headers: { cookie: s.cookie } });
    expect(ok.status).toBe(200);
    expect(ok.json.session).toMatchObject({ id: s.id, stage: 'ready' });
    // Header form for non-browser clients.
    const hdr = await call('GET', `/api/sessions/${s.id}`, { headers: { 'x-kubedrill-owner': s.token } });
    expect(hdr.status).toBe(200);
  });

  it('lists only the sessions this browser owns', async () => {
    const a = await startSession(ts, 'fake-etcd-backup', false);
    const r = await call('GET', '/api/sessions', { headers: { cookie: a.cookie } });
    const ids = (r.json.sessions as Array<{ id: string }>).map((s) => s.id);
    expect(ids).toEqual([a.id]);
  });

  it('runs check, hint, solution, reset, end with the token', async () => {
    const s = await startSession(ts);
    const h = { cookie: s.cookie };
    const grade = await call('POST', `/api/sessions/${s.id}/check`, { headers: h });
    expect(grade.status).toBe(200);
    expect(grade.json.grade).toMatchObject({ score: 3, maxScore: 10 });

    const h1 = await call('POST', `/api/sessions/${s.id}/hint`, { headers: h });
    expect(h1.json.hint).toMatchObject({ index: 0, total: 2 });
    await call('POST', `/api/sessions/${s.id}/hint`, { headers: h });
    const h3 = await call('POST', `/api/sessions/${s.id}/hint`, { headers: h });
    expect(h3.status).toBe(409);
    expect(h3.json.error).toBe('conflict');
    const again = await call('GET', `/api/sessions/${s.id}`, { headers: h });
    expect((again.json.session as { hints: string[] }).hints).toHaveLength(2);

    const noConfirm = await call('POST', `/api/sessions/${s.id}/solution`, { headers: h });
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.json.field).toBe('confirm');
    const sol = await call('POST', `/api/sessions/${s.id}/solution`, { headers: h, body: { confirm: true } });
    expect(sol.status).toBe(200);
    expect((sol.json.solution as { steps: string }).steps).toContain('kubelet');

    const reset = await call('POST', `/api/sessions/${s.id}/reset`, { headers: h });
    expect(reset.status).toBe(200);

    const end = await call('DELETE', `/api/sessions/${s.id}`, { headers: h });
    expect(end.status).toBe(200);
    expect(end.res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const check2 = await call('POST', `/api/sessions/${s.id}/check`, { headers: h });
    expect(check2.status).toBe(409);
    expect(String(check2.json.message)).toContain('ended');
  });

  it('maps unexpected engine errors to 500 with a message and no stack', async () => {
    const s = await startSession(ts);
    const orig = ts.engine.check.bind(ts.engine);
    ts.engine.check = async () => {
      throw new Error('kubectl exploded\n    at secret (/home/x/engine.ts:1:1)');
    };
    const r = await call('POST', `/api/sessions/${s.id}/check`, { headers: { cookie: s.cookie } });
    ts.engine.check = orig;
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: 'internal', message: 'kubectl exploded' });
  });

  it('refuses cross-origin writes and foreign Host headers', async () => {
    const r = await call('POST', '/api/sessions', { body: { scenarioId: 'fake-netpol' }, headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(r.json.error).toBe('forbidden_origin');
    // fetch() will not send a foreign Host header; node:http will (a DNS-rebinding page would).
    const h = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: ts.port, path: '/api/scenarios', headers: { host: 'rebind.evil.example:4280' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(h.status).toBe(403);
    expect(JSON.parse(h.body).error).toBe('forbidden_host');
  });

  it('answers unknown API routes with JSON 404 and serves a clear page when the web app is not built', async () => {
    const r = await call('GET', '/api/nope');
    expect(r.status).toBe(404);
    expect(r.json.error).toBe('not_found');
    const page = await call('GET', '/');
    expect(page.status).toBe(503);
    expect(page.text).toContain('npm run build:web');
  });
});
