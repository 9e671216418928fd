/** What a workload is, so that each of W0–W5 and the soak is one file under workloads/. */
import type { BenchDatabase } from './databases.js';
import type { Summary } from './stats.js';

export const workloadIds = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'soak', 'metrics'] as const;
export type WorkloadId = (typeof workloadIds)[number];

/** A workload's sizes (N, M, K, E, …), reported as the line's `params`. */
export type Params = Record<string, number>;

/** One variant's metrics (summarised over the repeats) and checks (plain counts). */
export type VariantResult = Record<string, Summary | number>;

export interface WorkloadContext<P extends Params> {
  readonly database: BenchDatabase;
  readonly params: P;
  readonly runs: number;
  /** Progress for the operator; goes to stderr so stdout stays JSON lines. */
  log(message: string): void;
}

export interface Workload<P extends Params = Params> {
  readonly id: WorkloadId;
  /** BENCH.md's sizes; `--n` overrides `n` where a workload has one. */
  readonly params: P;
  run(context: WorkloadContext<P>): Promise<Record<string, VariantResult>>;
}
