/**
 * A fake EngineApi for HTTP/WebSocket/browser tests and UI development.
 * Sessions go through the real stage sequence on timers, emitting kind-like
 * log lines; shells are a local `bash --norc -i`; grading looks at a marker
 * file the learner creates in the terminal:
 *   echo fixed > /tmp/kubedrill-fake-<sessionId>
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { ClusterNode } from '../clusters/driver.js';
import type { CheckResult, GradeReport } from '../graders/types.js';
import { ConflictError, NotFoundError, type EngineApi, type ScenarioSummary, type SessionEvent, type SessionInfo, type Stage } from '../server/engine/types.js';

export const FAKE_SCENARIOS: ScenarioSummary[] = [
  {
    id: 'fake-broken-kubelet',
    pack: 'fake',
    title: 'Repair a NotReady worker node',
    domain: 'troubleshooting',
    difficulty: 'medium',
    minutes: 12,
    summary: 'The worker node reports NotReady after a kubelet configuration change. Bring it back.',
    workers: 1,
    hintCount: 2,
  },
  {
    id: 'fake-etcd-backup',
    pack: 'fake',
    title: 'Back up etcd to a snapshot file',
    domain: 'cluster-architecture',
    difficulty: 'easy',
    minutes: 8,
    summary: 'Take an etcd snapshot with etcdctl and store it under /opt/backup.',
    workers: 0,
    hintCount: 1,
  },
  {
    id: 'fake-netpol',
    pack: 'fake',
    title: 'Allow only frontend traffic to the API',
    domain: 'services-networking',
    difficulty: 'hard',
    minutes: 15,
    summary: 'Write a NetworkPolicy so that only pods labelled app=frontend reach the api pods on port 8080.',
    workers: 1,
    hintCount: 3,
  },
];

const HINTS = [
  'Look at the node first: `kubectl get nodes` and `kubectl describe node`.',
  'On the node, `systemctl status kubelet` and `journalctl -u kubelet -n 50` tell you why it is failing.',
  'Fix the bad value in `/var/lib/kubelet/config.yaml`, then `systemctl restart kubelet`.',
];

export function markerPath(sessionId: string): string {
  return `/tmp/kubedrill-fake-${sessionId}`;
}

interface FakeSession {
  info: SessionInfo;
  events: SessionEvent[];
  listeners: Set<(e: SessionEvent) => void>;
  started: number;
  stageAt: number;
  timers: NodeJS.Timeout[];
}

export interface FakeEngineOptions {
  /** Delay per provisioning step (ms). Default 150. */
  stepMs?: number;
  /** Make startSession fail during provisioning. */
  failProvisioning?: boolean;
}

export class FakeEngine implements EngineApi {
  readonly sessions = new Map<string, FakeSession>();
  private readonly stepMs: number;
  constructor(private readonly opts: FakeEngineOptions = {}) {
    this.stepMs = opts.stepMs ?? 150;
  }

  listScenarios(): ScenarioSummary[] {
    return FAKE_SCENARIOS;
  }

  private get(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new NotFoundError(`session ${id}`);
    return s;
  }

  private emit(s: FakeSession, e: Omit<SessionEvent, 'sessionId' | 'at' | 'elapsedMs'>): void {
    const ev: SessionEvent = { sessionId: s.info.id, at: new Date().toISOString(), elapsedMs: Date.now() - s.started, ...e };
    s.events.push(ev);
    for (const l of s.listeners) l(ev);
  }

  private stage(s: FakeSession, stage: Stage, message: string): void {
    const prev = s.info.stage;
    s.info.timings[prev] = (s.info.timings[prev] ?? 0) + (Date.now() - s.stageAt);
    s.stageAt = Date.now();
    s.info.stage = stage;
    this.emit(s, { type: 'stage', stage, message });
  }

  startSession(scenarioId: string): SessionInfo {
    const sc = FAKE_SCENARIOS.find((x) => x.id === scenarioId);
    if (!sc) throw new NotFoundError(`scenario ${scenarioId}`);
    const id = randomBytes(5).toString('hex');
    const cluster = `kd-${id.slice(0, 6)}`;
    const nodes: ClusterNode[] = [{ name: `${cluster}-control-plane`, role: 'control-plane', alias: 'control-plane' }];
    for (let i = 1; i <= sc.workers; i++) nodes.push({ name: `${cluster}-worker${i > 1 ? i : ''}`, role: 'worker', alias: `worker${i > 1 ? i : ''}` });
    const s: FakeSession = {
      info: { id, scenarioId, cluster, stage: 'queued', createdAt: new Date().toISOString(), nodes, hintsRevealed: 0, solutionViewed: false, timings: {} },
      events: [],
      listeners: new Set(),
      started: Date.now(),
      stageAt: Date.now(),
      timers: [],
    };
    this.sessions.set(id, s);
    this.emit(s, { type: 'stage', stage: 'queued', message: 'Session queued' });
    const plan: Array<() => void> = [
      () => this.stage(s, 'provisioning', `Creating cluster ${cluster} (kind)`),
      () => this.emit(s, { type: 'log', message: `Creating cluster "${cluster}" ...` }),
      () => this.emit(s, { type: 'log', message: ' ✓ Ensuring node image (kubedrill/node:v1.34.4) 🖼' }),
      () => this.emit(s, { type: 'log', message: ' ✓ Preparing nodes 📦 📦' }),
      () => this.emit(s, { type: 'log', message: ' ✓ Writing configuration 📜' }),
      () => {
        if (this.opts.failProvisioning) {
          s.info.error = 'kind create cluster failed: exit status 1 (fake)';
          this.emit(s, { type: 'error', message: s.info.error });
          this.stage(s, 'failed', 'Provisioning failed');
          throw new Error('stop');
        }
        this.emit(s, { type: 'log', message: ' ✓ Starting control-plane 🕹️' });
      },
      () => this.emit(s, { type: 'log', message: ' ✓ Installing CNI 🔌' }),
      () => this.emit(s, { type: 'log', message: ' ✓ Joining worker nodes 🚜' }),
      () => this.stage(s, 'preparing', 'Configuring kubectl, alias k and completion on the nodes'),
      () => this.emit(s, { type: 'log', message: 'kubeconfig written to /root/.kube/config on control-plane' }),
      () => this.stage(s, 'injecting', 'Setting up the scenario and injecting the fault'),
      () => this.emit(s, { type: 'log', message: 'fault: editYaml /var/lib/kubelet/config.yaml on worker' }),
      () => {
        s.info.task = taskFor(sc, s.info);
        s.info.readyAt = new Date().toISOString();
        this.stage(s, 'ready', 'Ready: the cluster is yours');
      },
    ];
    let i = 0;
    const tick = () => {
      if (i >= plan.length || !this.sessions.has(id)) return;
      try {
        plan[i++]!();
      } catch {
        return;
      }
      s.timers.push(setTimeout(tick, this.stepMs));
    };
    s.timers.push(setTimeout(tick, this.stepMs));
    return { ...s.info };
  }

  getSession(id: string): SessionInfo {
    const s = this.get(id);
    return { ...s.info, nodes: [...s.info.nodes], timings: { ...s.info.timings } };
  }

  listSessions(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => ({ ...s.info }));
  }

  subscribe(sessionId: string, listener: (e: SessionEvent) => void): () => void {
    const s = this.get(sessionId);
    s.listeners.add(listener);
    return () => s.listeners.delete(listener);
  }

  history(sessionId: string): SessionEvent[] {
    return [...this.get(sessionId).events];
  }

  private requireReady(s: FakeSession, what: string): void {
    if (s.info.stage !== 'ready') throw new ConflictError(`cannot ${what}: session ${s.info.id} is ${s.info.stage}, not ready`);
  }

  async check(sessionId: string): Promise<GradeReport> {
    const s = this.get(sessionId);
    this.requireReady(s, 'check');
    const t0 = Date.now();
    this.stage(s, 'grading', 'Grading');
    await new Promise((r) => setTimeout(r, Math.min(this.stepMs, 200)));
    const p = markerPath(sessionId);
    const exists = existsSync(p);
    const content = exists ? readFileSync(p, 'utf8').trim() : '';
    const checks: CheckResult[] = [
      {
        id: 'node-ready',
        description: `Node ${s.info.nodes.at(-1)!.name} is Ready`,
        points: exists ? 4 : 0,
        maxPoints: 4,
        passed: exists,
        expected: 'status.conditions[type=Ready].status == "True"',
        actual: exists ? undefined : 'Ready=False (KubeletNotReady: kubelet stopped posting node status)',
        explain: exists ? undefined : 'The kubelet on the worker is not running. Check its config file.',
      },
      {
        id: 'kubelet-config',
        description: 'kubelet config has a valid clusterDNS',
        points: content === 'fixed' ? 3 : 0,
        maxPoints: 3,
        passed: content === 'fixed',
        expected: 'clusterDNS: ["10.96.0.10"]',
        actual: content === 'fixed' ? undefined : exists ? `file says ${JSON.stringify(content)}` : 'clusterDNS: ["10.96.0.100"]',
      },
      { id: 'control-plane-untouched', description: 'The control plane was left untouched', points: 3, maxPoints: 3, passed: true },
    ];
    const score = checks.reduce((a, c) => a + c.points, 0);
    const maxScore = checks.reduce((a, c) => a + c.maxPoints, 0);
    const grade: GradeReport = {
      scenarioId: s.info.scenarioId,
      score,
      maxScore,
      percent: Math.round((score / maxScore) * 1000) / 10,
      checks,
      gradedAt: new Date().toISOString(),
      durationMs: Date.now() - t0,
    };
    s.info.lastGrade = grade;
    this.emit(s, { type: 'grade', message: `Score ${score}/${maxScore}`, grade });
    this.stage(s, 'ready', 'Ready');
    return grade;
  }

  revealHint(sessionId: string): { index: number; text: string; total: number } {
    const s = this.get(sessionId);
    const sc = FAKE_SCENARIOS.find((x) => x.id === s.info.scenarioId)!;
    if (s.info.hintsRevealed >= sc.hintCount) throw new ConflictError(`all ${sc.hintCount} hints are already shown`);
    const index = s.info.hintsRevealed++;
    return { index, text: HINTS[index] ?? `Hint ${index + 1}`, total: sc.hintCount };
  }

  viewSolution(sessionId: string): { steps: string } {
    const s = this.get(sessionId);
    s.info.solutionViewed = true;
    return {
      steps: `1. On the worker, fix the kubelet config:\n\n\`\`\`bash\nsed -i 's/10.96.0.100/10.96.0.10/' /var/lib/kubelet/config.yaml\nsystemctl restart kubelet\n\`\`\`\n\n2. Fake engine shortcut:\n\n\`\`\`bash\necho fixed > ${markerPath(sessionId)}\n\`\`\``,
    };
  }

  async reset(sessionId: string): Promise<void> {
    const s = this.get(sessionId);
    this.requireReady(s, 'reset');
    this.stage(s, 'resetting', 'Resetting the scenario');
    rmSync(markerPath(sessionId), { force: true });
    await new Promise((r) => setTimeout(r, Math.min(this.stepMs, 200)));
    s.info.lastGrade = undefined;
    this.stage(s, 'ready', 'Ready again');
  }

  async end(sessionId: string): Promise<void> {
    const s = this.get(sessionId);
    if (s.info.stage === 'ended') throw new ConflictError(`session ${sessionId} has already ended`);
    for (const t of s.timers) clearTimeout(t);
    this.stage(s, 'ending', 'Deleting the cluster');
    rmSync(markerPath(sessionId), { force: true });
    this.stage(s, 'ended', 'Session ended');
  }

  shell(sessionId: string, nodeName: string): { file: string; args: string[] } {
    const s = this.get(sessionId);
    if (!s.info.nodes.some((n) => n.name === nodeName)) throw new NotFoundError(`node ${nodeName} in session ${sessionId}`);
    return { file: 'bash', args: ['--norc', '-i'] };
  }

  async shutdown(): Promise<void> {
    for (const s of this.sessions.values()) {
      for (const t of s.timers) clearTimeout(t);
      rmSync(markerPath(s.info.id), { force: true });
    }
  }
}

function taskFor(sc: ScenarioSummary, info: SessionInfo): string {
  const worker = info.nodes.find((n) => n.role === 'worker')?.name ?? info.nodes[0]!.name;
  return `# ${sc.title}

Node \`${worker}\` of cluster \`${info.cluster}\` reports **NotReady**.

1. Find out why the kubelet on \`${worker}\` is not running.
2. Fix its configuration so that the node becomes **Ready** again.
3. Do not change anything on the control plane.

> Fake engine: the grader looks for \`${markerPath(info.id)}\` containing \`fixed\`.

\`\`\`bash
kubectl get nodes -o wide
\`\`\`
`;
}
