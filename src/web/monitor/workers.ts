/**
 * Workers as the camera last wrote them (djcelery_workerstate), and
 * whether each is online. Read-only.
 */
import type { Database } from '../../db/open.js';

/** More workers than any page shows at once; the list says when it was cut. */
const MAX_WORKERS = 1000;

export interface Liveness {
  /** Seconds between the workers' heartbeats: Celery's worker_heartbeat default, 2. */
  readonly heartbeatFreq: number;
  /** Seconds the camera may take to write a heartbeat it received (its freq plus its write throttle). */
  readonly cameraFreq: number;
}

export interface WorkerView {
  hostname: string;
  lastHeartbeat: string | null;
  online: boolean;
}

/**
 * Celery's rule (alive until the last heartbeat + 2 × freq), widened by the
 * camera's own delay: the table shows a heartbeat only once a snapshot has
 * written it. A worker that said goodbye (worker-offline) has none, and is
 * offline at once.
 */
export function isOnline(lastHeartbeat: Date | null, now: Date, liveness: Liveness): boolean {
  if (lastHeartbeat === null) return false;
  const windowMs = (2 * liveness.heartbeatFreq + liveness.cameraFreq) * 1000;
  return now.getTime() - lastHeartbeat.getTime() < windowMs;
}

export async function listWorkers(
  database: Database,
  now: Date,
  liveness: Liveness,
): Promise<{ items: WorkerView[]; truncated: boolean }> {
  const rows = await database.prisma.workerState.findMany({
    orderBy: { hostname: 'asc' },
    take: MAX_WORKERS + 1,
    select: { hostname: true, lastHeartbeat: true },
  });
  return {
    items: rows.slice(0, MAX_WORKERS).map((row) => ({
      hostname: row.hostname,
      lastHeartbeat: row.lastHeartbeat?.toISOString() ?? null,
      online: isOnline(row.lastHeartbeat, now, liveness),
    })),
    truncated: rows.length > MAX_WORKERS,
  };
}
