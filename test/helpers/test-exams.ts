/**
 * The exams the tests run: the shipped catalogue (exams/) plus the
 * test-only ones in test/fixtures/exams (the 90-second time-out exam),
 * which the product's exam list must not show.
 */
import path from 'node:path';
import { DEFAULT_EXAMS_DIR, loadExams } from '../../server/exams/loader.js';
import type { ExamDef } from '../../server/exams/types.js';
import type { Scenario } from '../../server/scenarios/types.js';

export const FIXTURE_EXAMS_DIR = path.resolve(import.meta.dirname, '../fixtures/exams');
export const TEST_EXAM_DIRS = [DEFAULT_EXAMS_DIR, FIXTURE_EXAMS_DIR];

/** Loads every folder's exams; throws on any error or on an id used twice across folders. */
export function loadTestExams(scenarios: Map<string, Scenario>, dirs: string[] = TEST_EXAM_DIRS): ExamDef[] {
  const exams: ExamDef[] = [];
  for (const dir of dirs) {
    const r = loadExams(dir, scenarios);
    if (r.errors.length) throw new Error(r.errors.map((e) => e.message).join('\n'));
    for (const exam of r.exams) {
      if (exams.some((e) => e.id === exam.id)) throw new Error(`duplicate exam id "${exam.id}" in ${dir}`);
      exams.push(exam);
    }
  }
  return exams;
}
