// What `prisma-celery cam` logs of its camera's events: problems at once
// (folded by kind, so a message of 5,000 bad events costs two lines), and
// at info level what the snapshots wrote, summed: on the first write, then
// at most once a minute while anything is written.
import { causeLine } from '../db/adapter-error.js';
import type { CameraEvent, SnapshotSummary } from '../snapshot/camera/events.js';
import type { DroppedTaskChanges } from '../snapshot/state/cluster-state.js';
import type { ComponentLog } from './log.js';

/** Task ids named in one line about rejected rows; the rest are counted. */
const IDS_SHOWN = 3;

export function cameraLog(log: ComponentLog, options: { now?: () => number; everyMs?: number } = {}): (event: CameraEvent) => void {
  const tally = snapshotTally(log, options.now ?? Date.now, options.everyMs ?? 60_000);
  return (event) => {
    switch (event.type) {
      case 'broker-connected':
        if (!event.reconnect) return log('info', `connected to the broker, consuming events from ${event.queue}`);
        return log(
          'warn',
          `reconnected to the broker after ${seconds(event.deafMs ?? 0)} s deaf (events sent meanwhile are lost; their tasks are completed from celery_taskmeta), consuming events from ${event.queue}`,
        );
      case 'broker-disconnected':
        return log('warn', `broker connection lost: ${causeLine(event.error)}`);
      case 'broker-reconnect-scheduled':
        return log('info', `reconnecting to the broker in ${event.delayMs} ms (attempt ${event.attempt})`);
      case 'broker-setup-failed':
        return log('warn', `broker connection failed: ${causeLine(event.error)}`);
      case 'decode-problem':
        return log('warn', `bad event on ${event.routingKey}: ${event.problem.reason}: ${event.problem.detail}`, `decode ${event.problem.reason}`);
      case 'snapshot':
        log('debug', `snapshot: ${event.summary.tasksWritten} tasks, ${event.summary.workersWritten} workers in ${Math.round(event.summary.durationMs)} ms`);
        return tally(event.summary);
      case 'snapshot-failed':
        return log(
          'warn',
          `snapshot failed (${event.pendingTasks} task changes kept for the next one): ${causeLine(event.summary.error)}`,
          `snapshot-failed ${causeLine(event.summary.error)}`,
        );
      case 'rows-rejected': {
        const shown = event.rows.slice(0, IDS_SHOWN).map((r) => `${r.taskId} (${r.reason})`);
        const more = event.rows.length > IDS_SHOWN ? ` and ${event.rows.length - IDS_SHOWN} more` : '';
        return log('error', `rows the database refuses, dropped: ${shown.join(', ')}${more}`, 'rows-rejected');
      }
      case 'changes-dropped': {
        const why =
          event.cause === 'database-down'
            ? 'database down'
            : `database too slow for the events (snapshots succeed, the last took ${seconds(event.lastSnapshotMs)} s)`;
        return log(
          'error',
          `${why}: dropped ${event.count} task changes past the cap of ${event.maxPendingTasks} pending (${event.total} so far): ${droppedParts(event.dropped)}`,
          `changes-dropped ${event.cause}`,
        );
      }
      case 'falling-behind':
        return log(
          'warn',
          `falling behind: a snapshot of ${event.summary.tasksWritten} task rows took ${seconds(event.summary.durationMs)} s, longer than the time between snapshots; ${event.pendingTasks} task changes pending, the oldest ${seconds(event.oldestPendingMs)} s old`,
          'falling-behind',
        );
      case 'cleanup':
        return log('info', `cleanup: deleted ${event.result.deleted} expired task rows`);
      case 'cleanup-failed':
        return log('warn', `cleanup failed: ${causeLine(event.error)}`);
      case 'reconciled':
        return log('info', `completed ${event.tasks} tasks from celery_taskmeta`);
      case 'reconcile-failed':
        return log('warn', `reconciliation failed: ${causeLine(event.error)}`);
      case 'closed':
        return event.unwrittenTasks > 0
          ? log('error', `stopped with ${event.unwrittenTasks} task changes not written (the database did not answer)`)
          : log('info', 'stopped; final snapshot written');
    }
  };
}

/** What a drop cost, the cheapest first; only the kinds that occurred. */
function droppedParts(dropped: DroppedTaskChanges): string {
  const parts: [number, string][] = [
    [dropped.unfinished, 'unfinished tasks never written (their next event writes them whole)'],
    [dropped.unfinishedWritten, 'unfinished tasks left at an older state until their next event'],
    [dropped.finished, 'finished tasks never written (missing)'],
    [dropped.finishedWritten, 'finished tasks left at an older state (reconciliation completes them from celery_taskmeta)'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(', ');
}

/** Milliseconds as seconds with one decimal. */
const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Sums snapshots between info lines; a snapshot that writes nothing is no change and says nothing. */
function snapshotTally(log: ComponentLog, now: () => number, everyMs: number): (summary: SnapshotSummary) => void {
  let since = now();
  let last: number | undefined;
  let snapshots = 0;
  let tasks = 0;
  let workers = 0;
  return (summary) => {
    snapshots++;
    tasks += summary.tasksWritten;
    workers += summary.workersWritten;
    const at = now();
    if (tasks + workers === 0 || (last !== undefined && at - last < everyMs)) return;
    const seconds = Math.max(1, Math.round((at - since) / 1000));
    log('info', `snapshots wrote ${tasks} task rows and ${workers} worker rows (${snapshots} snapshots in ${seconds} s)`);
    last = at;
    since = at;
    snapshots = tasks = workers = 0;
  };
}
