import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeExamServer, type FakeExamServer } from '../browser/fake-exam-server.js';
import { examMarker } from '../fake-exam-ops.js';
import { TermClient, openWs } from './http-helpers.js';

let ts: FakeExamServer;
beforeAll(async () => {
  ts = await startFakeExamServer({ stepMs: 5, webDist: '/nonexistent-kubedrill-dist' });
});
afterAll(async () => {
  await ts?.close();
});

async function call(method: string, p: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { origin: ts.base, ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined || opts.body !== undefined) {
    body = opts.raw ?? JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  // A pooled keep-alive socket may point at the server before a restart: retry once.
  const res = await fetch(ts.base + p, { method, headers, body }).catch(() => fetch(ts.base + p, { method, headers, body }));
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not json */
  }
  return { status: res.status, json, text, res };
}

async function waitState(id: string, cookie: string, state: string, timeoutMs = 5000) {
  const t0 = Date.now();
  for (;;) {
    const r = await call('GET', `/api/exams/runs/${id}`, { headers: { cookie } });
    if (r.json.run?.state === state) return r.json.run;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} is ${r.json.run?.state}, not ${state}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('exam API', () => {
  let id = '';
  let cookie = '';
  let token = '';

  it('lists exams with an up-front estimate', async () => {
    const r = await call('GET', '/api/exams');
    expect(r.status).toBe(200);
    const sample = r.json.exams.find((e: { id: string }) => e.id === 'sample-3-tasks');
    expect(sample).toMatchObject({ timeLimitMinutes: 30, passPercent: 66, concurrency: 2, clusters: [{ name: 'a', tasks: 1 }, { name: 'b', tasks: 2 }] });
    expect(sample.estimateSeconds).toBeGreaterThan(0);
  });

  it('validates the start request', async () => {
    for (const examId of ['', 'UPPER', '../x', 7, null]) {
      const r = await call('POST', '/api/exams/runs', { body: { examId } });
      expect(r.status, JSON.stringify(examId)).toBe(400);
      expect(r.json).toMatchObject({ error: 'bad_request', field: 'examId' });
    }
    expect((await call('POST', '/api/exams/runs', { body: [1] })).json).toMatchObject({ field: 'body' });
    expect((await call('POST', '/api/exams/runs', { raw: '{"examId":' })).json).toMatchObject({ error: 'bad_request', field: 'body' });
    const nf = await call('POST', '/api/exams/runs', { body: { examId: 'no-such-exam' } });
    expect(nf.status).toBe(404);
    const cross = await call('POST', '/api/exams/runs', { body: { examId: 'sample-3-tasks' }, headers: { origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
  });

  it('starts a run with an owner token cookie and needs it everywhere', async () => {
    const r = await call('POST', '/api/exams/runs', { body: { examId: 'sample-3-tasks' } });
    expect(r.status).toBe(201);
    id = r.json.run.id;
    token = r.json.ownerToken;
    cookie = (r.res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(new RegExp(`^kd_exam_${id}=`));
    expect(r.res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await call('GET', `/api/exams/runs/${id}`)).status).toBe(403);
    expect((await call('GET', `/api/exams/runs/${id}`, { headers: { cookie: `kd_exam_${id}=nope` } })).status).toBe(403);
    expect((await call('GET', `/api/exams/runs/${id}`, { headers: { 'x-kubedrill-owner': token } })).status).toBe(200);
    expect((await call('GET', '/api/exams/runs/abc')).json).toMatchObject({ error: 'bad_request', field: 'id' });
    expect((await call('GET', '/api/exams/runs/0123456789ab')).status).toBe(404);
    const mine = await call('GET', '/api/exams/runs', { headers: { cookie } });
    expect(mine.json.runs.map((x: { id: string }) => x.id)).toContain(id);
    expect((await call('GET', '/api/exams/runs')).json.runs).toEqual([]);
    const run = await waitState(id, cookie, 'running');
    expect(Date.parse(run.deadlineAt) - Date.parse(run.serverNow)).toBeGreaterThan(29 * 60_000);
  });

  it('has no grading endpoint during the exam', async () => {
    for (const p of [`/api/exams/runs/${id}/check`, `/api/exams/runs/${id}/grade`]) {
      const r = await call('POST', p, { headers: { cookie } });
      expect(r.status).toBe(404);
    }
    const v = (await call('GET', `/api/exams/runs/${id}`, { headers: { cookie } })).json.run;
    expect(v.results).toBeUndefined();
  });

  it('validates flags and notes', async () => {
    const h = { cookie };
    expect((await call('PUT', `/api/exams/runs/${id}/tasks/1/flag`, { body: { flagged: 'yes' }, headers: h })).json).toMatchObject({ field: 'flagged' });
    expect((await call('PUT', `/api/exams/runs/${id}/tasks/-1/flag`, { body: { flagged: true }, headers: h })).json).toMatchObject({ field: 'index' });
    expect((await call('PUT', `/api/exams/runs/${id}/tasks/9/flag`, { body: { flagged: true }, headers: h })).status).toBe(404);
    expect((await call('PUT', `/api/exams/runs/${id}/notes`, { body: { notes: 5 }, headers: h })).json).toMatchObject({ field: 'notes' });
    expect((await call('PUT', `/api/exams/runs/${id}/notes`, { body: { notes: 'x'.repeat(10_001) }, headers: h })).json).toMatchObject({ field: 'notes' });
    expect((await call('PUT', `/api/exams/runs/${id}/tasks/1/flag`, { body: { flagged: true } })).status).toBe(403);
    const f = await call('PUT', `/api/exams/runs/${id}/tasks/1/flag`, { body: { flagged: true }, headers: h });
    expect(f.json.run.tasks[1].flagged).toBe(true);
    const n = await call('PUT', `/api/exams/runs/${id}/notes`, { body: { notes: 'q2: check targetPort' }, headers: h });
    expect(n.json.run.notes).toBe('q2: check targetPort');
  });

  it('opens terminals only on the run\'s nodes, only for the owner', async () => {
    const run = (await call('GET', `/api/exams/runs/${id}`, { headers: { cookie } })).json.run;
    const node = run.clusters[1].nodes[0].name;
    const url = (n: string, rid = id) => `ws://127.0.0.1:${ts.port}/ws/exam-terminal?run=${rid}&node=${n}`;
    expect((await openWs(url(node), { origin: ts.base })).status).toBe(403);
    expect((await openWs(url(node), { origin: 'http://evil.example', cookie })).status).toBe(403);
    expect((await openWs(url('kd-other-control-plane'), { origin: ts.base, cookie })).status).toBe(404);
    expect((await openWs(url('bad name'), { origin: ts.base, cookie })).status).toBe(400);
    const opened = await openWs(url(node), { origin: ts.base, cookie });
    expect(opened.ws).toBeDefined();
    const t = new TermClient(opened);
    await t.waitControl('attached');
    t.type(`echo all > ${examMarker(run.clusters[1].kindName, 'service-no-endpoints')}; echo ok-$((6*7))\r`);
    await t.waitOutput(/ok-42/);
    expect(ts.created.terminals.size).toBe(1);
    await t.close();
  });

  it('submits only with confirm, grades once, closes shells, then refuses changes', async () => {
    expect((await call('POST', `/api/exams/runs/${id}/submit`, { body: {}, headers: { cookie } })).json).toMatchObject({ field: 'confirm' });
    const r = await call('POST', `/api/exams/runs/${id}/submit`, { body: { confirm: true }, headers: { cookie } });
    expect(r.status).toBe(200);
    const res = r.json.run.results;
    expect(res.tasks.map((t: { percent: number }) => t.percent)).toEqual([0, 100, 0]);
    expect(res.totalPercent).toBe(40);
    expect(res.passed).toBe(false);
    expect(r.json.run.state).toBe('finished');
    expect(ts.created.terminals.size).toBe(0);
    expect((await call('PUT', `/api/exams/runs/${id}/notes`, { body: { notes: 'late' }, headers: { cookie } })).status).toBe(409);
    expect((await call('POST', `/api/exams/runs/${id}/submit`, { body: { confirm: true }, headers: { cookie } })).status).toBe(409);
  });

  it('shows the attempt in progress, also after a server restart', async () => {
    await ts.restart();
    const r = await call('GET', '/api/progress');
    expect(r.status).toBe(200);
    expect(r.json.exams[0]).toMatchObject({ id, totalPercent: 40, passed: false });
    expect(r.json.history.filter((h: { examRunId: string }) => h.examRunId === id)).toHaveLength(3);
    const best = r.json.best.find((b: { scenarioId: string }) => b.scenarioId === 'service-no-endpoints');
    expect(best).toMatchObject({ bestPercent: 100, title: 'A Service that answers nobody' });
    expect(r.json.suggestions.length).toBeGreaterThan(0);
    expect((await call('GET', '/api/progress?limit=0')).json).toMatchObject({ field: 'limit' });
    const after = await call('GET', `/api/exams/runs/${id}`, { headers: { cookie } });
    expect(after.json.run.results.totalPercent).toBe(40);
  });
});
