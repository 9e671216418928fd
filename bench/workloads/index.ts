/** The implemented workloads; a new one is a file beside this and a line here. */
import type { Workload, WorkloadId } from '../workload.js';
import { w0 } from './w0.js';

export const workloads: Partial<Record<WorkloadId, Workload>> = { w0 };
