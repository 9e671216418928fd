/**
 * What the demo prints: one line per thing that happens, with the time and
 * the part it came from, so a reader can follow a task from beat to the
 * worker, the result table and the camera's snapshot.
 */
import { describeEvent, type BeatEvent } from '../scheduler/index.js';
import type { BackendEvent } from '../backend/index.js';
import type { CameraEvent, CeleryEventsReport } from '../snapshot/index.js';

export type Part = 'demo' | 'setup' | 'schedule' | 'beat' | 'worker' | 'backend' | 'camera' | 'monitor' | 'summary';

const time = (): string => new Date().toTimeString().slice(0, 8);

export function say(part: Part, text: string): void {
  process.stdout.write(`${time()}  ${part.padEnd(8)} ${text}\n`);
}

export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? text;
}

/** A broker URL with its password hidden. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

export const shortId = (id: string): string => `${id.slice(0, 8)}…`;

/** The routine beat events and every problem; a change marker sync shows edits made on the monitor page. */
export function onBeatEvent(event: BeatEvent): void {
  if (event.type === 'task-sent') say('beat', `sent ${event.entry} → ${event.task}[${shortId(event.taskId)}]`);
  else say('beat', describeEvent(event));
}

let workersShown = false;

export function onCameraEvent(event: CameraEvent): void {
  switch (event.type) {
    case 'broker-connected':
      say('camera', `${event.reconnect ? 'reconnected' : 'listening'} to the workers' events (queue ${event.queue})`);
      return;
    case 'snapshot': {
      const { tasksWritten, workersWritten } = event.summary;
      // Heartbeats alone rewrite the worker row every few seconds: shown once, not each time.
      if (tasksWritten === 0 && !event.final && workersShown) return;
      workersShown ||= workersWritten > 0;
      say('camera', `${event.final ? 'final snapshot' : 'snapshot'}: ${tasksWritten} task row(s) → djcelery_taskstate, ${workersWritten} worker row(s) → djcelery_workerstate`);
      return;
    }
    case 'snapshot-failed':
      say('camera', `snapshot failed (${messageOf(event.summary.error)}); ${event.pendingTasks} task change(s) kept for the next one`);
      return;
    case 'cleanup': {
      const { deleted } = event.result;
      if (deleted > 0) say('camera', `expired old task rows: ${deleted}`);
      return;
    }
    case 'reconciled':
      say('camera', `completed ${event.tasks} task row(s) from celery_taskmeta (their final events were missed)`);
      return;
    case 'closed':
      return;
    case 'broker-disconnected':
    case 'broker-setup-failed':
    case 'cleanup-failed':
    case 'reconcile-failed':
      say('camera', `${event.type}: ${messageOf(event.error)}`);
      return;
    case 'broker-reconnect-scheduled':
      say('camera', `broker lost (${messageOf(event.error)}); reconnecting in ${event.delayMs} ms`);
      return;
    default:
      say('camera', event.type);
  }
}

export function onBackendEvent(event: BackendEvent): void {
  switch (event.type) {
    case 'retry':
      say('backend', `${event.operation}: database busy or unreachable, retry ${event.attempt} in ${event.delayMs} ms`);
      return;
    case 'unregistered-task':
      say('backend', `task ${shortId(event.taskId)} names ${event.name}, which the worker does not have: stored as FAILURE`);
      return;
    case 'args-dropped':
      say('backend', `task ${shortId(event.taskId)}: args too large to store (${event.bytes} bytes)`);
      return;
    default:
      say('backend', `${event.type}: ${messageOf(event.error)}`);
  }
}

export function onEventsReport(report: CeleryEventsReport): void {
  if (report.type === 'connected') return;
  if (report.type === 'dropped') say('worker', `events: ${report.count} dropped while the broker was away`);
  else if (report.type === 'disconnected') say('worker', `events: broker connection lost (${messageOf(report.error)})`);
  else say('worker', `events: ${report.type}: ${messageOf(report.error)}`);
}
