import type { PrismaResultBackend } from '../../backend/index.js';
import type { TokenGuard } from '../http/auth.js';
import type { ResolvedWebOptions } from '../options.js';
import type { Liveness } from './workers.js';

/** What every monitor route reads: the resolved options and the shared helpers. */
export interface MonitorContext extends ResolvedWebOptions {
  readonly liveness: Liveness;
  readonly backend: PrismaResultBackend;
  readonly guard: TokenGuard;
}
