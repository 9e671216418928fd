/** The implemented workloads; a new one is a file beside this and a line here. */
import type { Workload, WorkloadId } from '../workload.js';
import { w0 } from './w0.js';
import { w1 } from './w1.js';
import { w2 } from './w2.js';
import { w3 } from './w3.js';
import { w4 } from './w4.js';
import { w5 } from './w5.js';
import { soak } from './soak.js';
import { metrics } from './metrics.js';

export const workloads: Partial<Record<WorkloadId, Workload>> = { w0, w1, w2, w3, w4, w5, soak, metrics };
