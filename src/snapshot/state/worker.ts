/**
 * One worker as its events describe it (celery.events.state.Worker, 5.2.6):
 * the fields of its latest worker event, and the local times its recent
 * events arrived, which decide whether it is alive.
 */
import type { WorkerEvent } from '../events/types.js';

/** Celery keeps the last 4 arrival times (Worker.heartbeat_max). */
const HEARTBEATS_KEPT = 4;
/** A worker is alive until 2 × freq after its last heartbeat (HEARTBEAT_EXPIRE_WINDOW 200 %). */
const EXPIRE_FACTOR = 2;

export class WorkerState {
  pid: number | null = null;
  /** Seconds between heartbeats; Celery assumes 60 until the worker says. */
  freq = 60;
  clock = 0;
  active: number | null = null;
  processed: number | null = null;
  loadavg: number[] | null = null;
  swIdent: string | null = null;
  swVer: string | null = null;
  swSys: string | null = null;
  /** Local arrival times (epoch ms), ascending, at most 4; emptied by worker-offline. */
  readonly heartbeats: number[] = [];
  /** The owning ClusterState's event count when this worker last changed; orders snapshots. */
  changedAt = 0;

  constructor(readonly hostname: string) {}
}

/**
 * Applies a worker-* event: its fields overwrite (a `freq: 5` reply to a
 * heartbeat broadcast leaves `active`/`processed`/`loadavg` as they were),
 * then it counts as a heartbeat, except worker-offline, which forgets them
 * all so the worker reads as dead at once.
 */
export function mergeWorkerEvent(worker: WorkerState, event: WorkerEvent, receivedAt: number): void {
  if (event.pid !== undefined) worker.pid = event.pid;
  if (event.freq !== undefined && event.freq !== null) worker.freq = event.freq;
  if (event.clock !== undefined) worker.clock = event.clock;
  if (event.active !== undefined) worker.active = event.active;
  if (event.processed !== undefined) worker.processed = event.processed;
  if (event.loadavg !== undefined) worker.loadavg = event.loadavg;
  if (event.sw_ident !== undefined) worker.swIdent = event.sw_ident;
  if (event.sw_ver !== undefined) worker.swVer = event.sw_ver;
  if (event.sw_sys !== undefined) worker.swSys = event.sw_sys;
  if (event.type === 'worker-offline') worker.heartbeats.length = 0;
  else addHeartbeat(worker, receivedAt);
}

/** Records an arrival time as Celery does: drop the oldest first when full, then insert in order. */
export function addHeartbeat(worker: WorkerState, receivedAt: number): void {
  const beats = worker.heartbeats;
  if (beats.length >= HEARTBEATS_KEPT) beats.shift();
  let i = beats.length;
  while (i > 0 && (beats[i - 1] as number) > receivedAt) i--;
  if (i === beats.length) beats.push(receivedAt);
  else beats.splice(i, 0, receivedAt);
}

export function lastHeartbeat(worker: WorkerState): number | null {
  return worker.heartbeats.at(-1) ?? null;
}

export function isAlive(worker: WorkerState, now: number): boolean {
  const last = lastHeartbeat(worker);
  return last !== null && now < last + worker.freq * EXPIRE_FACTOR * 1000;
}
