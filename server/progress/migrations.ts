/**
 * Schema migrations for the progress database. Each migration runs once, in
 * order, inside a transaction; the applied version is kept in
 * PRAGMA user_version. Never edit a released migration: add a new one.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'learners, attempts, grades, check results',
    sql: `
      CREATE TABLE learners (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
      INSERT INTO learners (name, created_at) VALUES ('local', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

      CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        mode TEXT NOT NULL CHECK (mode IN ('training', 'exam')),
        scenario_id TEXT NOT NULL,
        domain TEXT,
        session_id TEXT,
        exam_run_id TEXT,
        task_index INTEGER,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        seconds_spent INTEGER,
        hints_revealed INTEGER NOT NULL DEFAULT 0,
        solution_viewed INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX attempts_scenario ON attempts (learner_id, scenario_id);
      CREATE INDEX attempts_session ON attempts (session_id);

      CREATE TABLE grades (
        id INTEGER PRIMARY KEY,
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        graded_at TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        percent REAL NOT NULL
      );
      CREATE INDEX grades_attempt ON grades (attempt_id);

      CREATE TABLE check_results (
        grade_id INTEGER NOT NULL REFERENCES grades(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        check_id TEXT NOT NULL,
        description TEXT NOT NULL,
        passed INTEGER NOT NULL,
        points REAL NOT NULL,
        max_points REAL NOT NULL,
        expected TEXT,
        actual TEXT,
        explain TEXT,
        error TEXT,
        PRIMARY KEY (grade_id, position)
      );
    `,
  },
  {
    version: 2,
    name: 'mock exams and provisioning timings',
    sql: `
      CREATE TABLE exam_runs (
        id TEXT PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        exam_id TEXT NOT NULL,
        title TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('provisioning', 'running', 'grading', 'finished', 'failed', 'cancelled')),
        created_at TEXT NOT NULL,
        started_at TEXT,
        deadline_at TEXT,
        ended_at TEXT,
        end_reason TEXT,
        time_limit_seconds REAL NOT NULL,
        pass_percent REAL NOT NULL,
        owner_hash TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        alerts_fired TEXT NOT NULL DEFAULT '[]',
        clusters TEXT NOT NULL DEFAULT '[]',
        definition TEXT NOT NULL,
        total_percent REAL,
        passed INTEGER,
        results TEXT,
        error TEXT
      );
      CREATE INDEX exam_runs_state ON exam_runs (state);

      CREATE TABLE exam_tasks (
        exam_run_id TEXT NOT NULL REFERENCES exam_runs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        scenario_id TEXT NOT NULL,
        cluster_name TEXT NOT NULL,
        weight REAL NOT NULL,
        domain TEXT NOT NULL,
        flagged INTEGER NOT NULL DEFAULT 0,
        attempt_id INTEGER REFERENCES attempts(id),
        score REAL,
        max_score REAL,
        percent REAL,
        PRIMARY KEY (exam_run_id, idx)
      );

      CREATE TABLE provision_timings (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        seconds REAL NOT NULL,
        workers INTEGER NOT NULL
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies pending migrations (up to `target`, default all); returns the versions applied. */
export function migrate(db: Database, migrations: Migration[] = MIGRATIONS, target = migrations[migrations.length - 1]?.version ?? 0): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > newest)
    throw new Error(`the progress database is at schema version ${current}, newer than this Kubedrill understands (${newest}); upgrade Kubedrill or use another --state-dir`);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
