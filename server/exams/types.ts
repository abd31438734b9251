/** The mock exam model: what an exams/*.yaml file says once loaded (see docs/exam-format.md). */
export interface ExamCluster {
  /** Short name the tasks refer to ("a", "b"); the kind cluster gets its own kd-… name. */
  name: string;
  /** Worker nodes (filled at load: the most any task on the cluster needs, when not given). */
  workers: number;
  description?: string;
}

export interface ExamTask {
  scenario: string;
  cluster: string;
  weight: number;
}

export interface ExamDef {
  id: string;
  title: string;
  description?: string;
  timeLimitMinutes: number;
  passPercent: number;
  clusters: ExamCluster[];
  tasks: ExamTask[];
  /** Absolute path it was loaded from. */
  source?: string;
}
