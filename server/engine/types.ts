import type { ClusterNode } from '../../clusters/driver.js';
import type { GradeReport } from '../../graders/types.js';
import type { CkaDomain, Difficulty } from '../scenarios/types.js';

/** Lifecycle stages, in the order a session goes through them. */
export type Stage =
  | 'queued'
  | 'provisioning' // kind create cluster
  | 'preparing' // kubeconfig, alias k, completion, images on nodes
  | 'injecting' // scenario setup + faults
  | 'ready' // learner works
  | 'grading'
  | 'resetting'
  | 'ending'
  | 'ended'
  | 'failed';

export interface ScenarioSummary {
  id: string;
  pack: string;
  title: string;
  domain: CkaDomain;
  difficulty: Difficulty;
  minutes: number;
  summary: string;
  workers: number;
  hintCount: number;
}

export interface SessionEvent {
  sessionId: string;
  at: string; // ISO time
  elapsedMs: number; // since the session started
  type: 'stage' | 'log' | 'error' | 'grade';
  stage?: Stage;
  message: string;
  grade?: GradeReport;
}

export interface SessionInfo {
  id: string;
  scenarioId: string;
  cluster: string;
  stage: Stage;
  createdAt: string;
  readyAt?: string;
  error?: string;
  /** Task markdown with node placeholders filled in; present once ready. */
  task?: string;
  nodes: ClusterNode[];
  hintsRevealed: number;
  solutionViewed: boolean;
  lastGrade?: GradeReport;
  /** Stage timings in ms, for the progress view and the notes. */
  timings: Partial<Record<Stage, number>>;
}

/** What the HTTP/WebSocket layer needs from the engine. */
export interface EngineApi {
  listScenarios(): ScenarioSummary[];
  /** Starts provisioning in the background; returns at once. Throws NotFoundError for an unknown id. */
  startSession(scenarioId: string): SessionInfo;
  getSession(id: string): SessionInfo; // throws NotFoundError
  listSessions(): SessionInfo[];
  /** Past events (for reconnect) and a live subscription. Returns an unsubscribe function. */
  subscribe(sessionId: string, listener: (e: SessionEvent) => void): () => void;
  history(sessionId: string): SessionEvent[];
  check(sessionId: string): Promise<GradeReport>;
  revealHint(sessionId: string): { index: number; text: string; total: number };
  viewSolution(sessionId: string): { steps: string };
  reset(sessionId: string): Promise<void>;
  end(sessionId: string): Promise<void>;
  /** Program + argv for an interactive shell on a node of this session; NotFoundError if the node is not the session's. */
  shell(sessionId: string, nodeName: string): { file: string; args: string[] };
}

export class NotFoundError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotFoundError';
  }
}
export class ConflictError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'ConflictError';
  }
}
