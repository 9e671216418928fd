/**
 * What the demo prints: one line per thing that happens, with the time and
 * the part it came from, so a reader can follow a task from beat to the
 * worker, the result table and the camera's snapshot.
 */
import { levelOf } from '../cli/beat-log.js';
import { createLogger, type Level } from '../cli/log.js';
import { causeLine } from '../db/adapter-error.js';
import { describeEvent, type BeatEvent } from '../scheduler/index.js';
import type { BackendEvent } from '../backend/index.js';
import type { CameraEvent, CeleryEventsReport } from '../snapshot/index.js';

export type Part = 'demo' | 'setup' | 'schedule' | 'beat' | 'worker' | 'backend' | 'camera' | 'monitor' | 'summary';

// The CLI's log format; repeated problems fold as they do there.
const log = createLogger({ threshold: 'info', write: (line) => void process.stdout.write(`${line}\n`) });

export function say(part: Part, text: string, level: Level = 'info'): void {
  log.log(level, part, text);
}

/** Prints the counts of folded repeats; the last thing the demo prints. */
export const closeLog = (): void => log.close();

export const messageOf = causeLine;

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
  else say('beat', describeEvent(event), levelOf(event) === 'error' ? 'error' : levelOf(event) === 'warn' ? 'warn' : 'info');
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
      say('camera', `snapshot failed (${messageOf(event.summary.error)}); ${event.pendingTasks} task change(s) kept for the next one`, 'warn');
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
      say('camera', `${event.type}: ${messageOf(event.error)}`, 'warn');
      return;
    case 'broker-reconnect-scheduled':
      say('camera', `broker lost (${messageOf(event.error)}); reconnecting in ${event.delayMs} ms`);
      return;
    default:
      say('camera', event.type, 'warn');
  }
}

export function onBackendEvent(event: BackendEvent): void {
  switch (event.type) {
    case 'retry':
      say('backend', `${event.operation}: database busy or unreachable, retry ${event.attempt} in ${event.delayMs} ms`, 'warn');
      return;
    case 'unregistered-task':
      say('backend', `task ${shortId(event.taskId)} names ${event.name}, which the worker does not have: stored as FAILURE`);
      return;
    case 'args-dropped':
      say('backend', `task ${shortId(event.taskId)}: args too large to store (${event.bytes} bytes)`);
      return;
    default:
      say('backend', `${event.type}: ${messageOf(event.error)}`, 'warn');
  }
}

export function onEventsReport(report: CeleryEventsReport): void {
  if (report.type === 'connected') return;
  if (report.type === 'dropped') say('worker', `events: ${report.count} dropped while the broker was away`, 'warn');
  else if (report.type === 'disconnected') say('worker', `events: broker connection lost (${messageOf(report.error)})`, 'warn');
  else say('worker', `events: ${report.type}: ${messageOf(report.error)}`, 'warn');
}
