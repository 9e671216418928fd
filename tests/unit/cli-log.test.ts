import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cameraLog } from '../../src/cli/camera-log.js';
import { createLogger, escapeControls, formatLine, type Level } from '../../src/cli/log.js';
import type { CameraEvent, SnapshotSummary } from '../../src/snapshot/camera/events.js';
import { LOG_LINE as LINE } from '../support/log-line.js';

describe('formatLine', () => {
  it('writes time, level, component and message on one line', () => {
    expect(formatLine(new Date('2026-01-02T03:04:05.678Z'), 'warn', 'cam', 'snapshot failed')).toBe(
      '2026-01-02T03:04:05.678Z WARN  cam      snapshot failed',
    );
    expect(formatLine(new Date(0), 'error', 'schedule', 'x')).toMatch(LINE);
  });

  it('shows control characters escaped, so one message stays one line', () => {
    expect(formatLine(new Date(0), 'info', 'beat', 'a\nb\tc\u001b[31md')).toBe('1970-01-01T00:00:00.000Z INFO  beat     a\\nb\\tc\\u001b[31md');
    expect(escapeControls('Europe/Ber\nlin\r\u2028')).toBe('Europe/Ber\\nlin\\r\\u2028');
  });
});

describe('createLogger', () => {
  let clock = 0;
  let lines: string[];
  const logger = (threshold: Level = 'info') =>
    createLogger({ threshold, write: (line) => lines.push(line), now: () => clock });
  // The message part of each line.
  const messages = (): string[] => lines.map((line) => line.slice(40));

  beforeEach(() => {
    vi.useFakeTimers();
    clock = Date.parse('2026-01-01T00:00:00Z');
    lines = [];
  });
  afterEach(() => vi.useRealTimers());

  it('prints only lines at or above the threshold', () => {
    const log = logger('warn');
    log.log('debug', 'beat', 'd');
    log.log('info', 'beat', 'i');
    log.log('warn', 'beat', 'w');
    log.log('error', 'beat', 'e');
    expect(messages()).toEqual(['w', 'e']);
    expect(lines.every((line) => LINE.test(line))).toBe(true);
  });

  it('folds a warning repeated within a minute into one count, printed when the minute is over', () => {
    const log = logger();
    for (let i = 0; i < 5000; i++) {
      log.log('warn', 'cam', 'broker connection lost: connect ECONNREFUSED 127.0.0.1:5672');
      clock += 10;
    }
    expect(messages()).toEqual(['broker connection lost: connect ECONNREFUSED 127.0.0.1:5672']);
    clock = Date.parse('2026-01-01T00:01:00Z');
    vi.advanceTimersByTime(60_000);
    expect(messages()).toEqual([
      'broker connection lost: connect ECONNREFUSED 127.0.0.1:5672',
      'broker connection lost: connect ECONNREFUSED 127.0.0.1:5672 (repeated 4999 times in the last 60 s)',
    ]);
    // A new minute: the message is printed again, once.
    log.log('warn', 'cam', 'broker connection lost: connect ECONNREFUSED 127.0.0.1:5672');
    expect(lines).toHaveLength(3);
  });

  it('never folds info lines, which carry the work done', () => {
    const log = logger();
    log.log('info', 'beat', 'sent a');
    log.log('info', 'beat', 'sent a');
    expect(messages()).toEqual(['sent a', 'sent a']);
  });

  it('folds messages under one key, counting those that differ', () => {
    const log = logger();
    for (let i = 1; i <= 3; i++) log.log('error', 'beat', `tick failed (database gone); retry ${i} in ${2 ** i}s`, 'tick database gone');
    log.log('error', 'beat', 'tick failed (another cause); retry 1 in 1s', 'tick another cause');
    clock += 8000;
    log.close();
    expect(messages()).toEqual([
      'tick failed (database gone); retry 1 in 2s',
      'tick failed (another cause); retry 1 in 1s',
      'tick failed (database gone); retry 3 in 8s (2 like it in the last 8 s)',
    ]);
  });

  it('keeps the same message of two components apart, and prints nothing on close when nothing repeated', () => {
    const log = logger();
    log.log('warn', 'beat', 'broker blocked');
    log.log('warn', 'serve', 'broker blocked');
    log.close();
    expect(lines.map((line) => line.slice(25, 40).trim())).toEqual(['WARN  beat', 'WARN  serve']);
  });
});

describe('cameraLog', () => {
  const summary = (tasksWritten: number, workersWritten: number): SnapshotSummary => ({
    tasksWritten,
    workersWritten,
    workersDeferred: 0,
    tasksUnwritten: 0,
    rejected: 0,
    durationMs: 3,
    error: null,
  });

  function camera() {
    let clock = 0;
    const lines: string[] = [];
    const logger = createLogger({ threshold: 'info', write: (line) => lines.push(line.slice(40)), now: () => clock });
    const onEvent = cameraLog(logger.for('cam'), { now: () => clock });
    return { lines, onEvent, logger, tick: (ms: number) => (clock += ms) };
  }

  it('says what the snapshots wrote: on the first write, then at most once a minute, and nothing while nothing is written', () => {
    const { lines, onEvent, tick } = camera();
    const snapshot = (tasks: number, workers: number): CameraEvent => ({ type: 'snapshot', summary: summary(tasks, workers), final: false });
    tick(1000);
    onEvent(snapshot(0, 0));
    expect(lines).toEqual([]);
    tick(1000);
    onEvent(snapshot(3, 1));
    for (let i = 0; i < 59; i++) {
      tick(1000);
      onEvent(snapshot(2, 0));
    }
    tick(1000);
    onEvent(snapshot(1, 1));
    expect(lines).toEqual([
      'snapshots wrote 3 task rows and 1 worker rows (2 snapshots in 2 s)',
      'snapshots wrote 119 task rows and 1 worker rows (60 snapshots in 60 s)',
    ]);
  });

  it('says how long the camera was deaf when it reconnects, on either transport', () => {
    const { lines, onEvent } = camera();
    onEvent({ type: 'broker-connected', queue: '/3.celeryev/*', reconnect: false, deafMs: null });
    onEvent({ type: 'broker-connected', queue: 'celeryev.0b5c', reconnect: true, deafMs: 2345 });
    expect(lines).toEqual([
      'connected to the broker, consuming events from /3.celeryev/*',
      'reconnected to the broker after 2.3 s deaf (events sent meanwhile are lost; their tasks are completed from celery_taskmeta), consuming events from celeryev.0b5c',
    ]);
  });

  it('keeps a message of 5,000 bad events to two lines', () => {
    const { lines, onEvent, logger } = camera();
    for (let i = 0; i < 5000; i++) {
      onEvent({ type: 'decode-problem', routingKey: 'task.multi', problem: { reason: 'invalid-field', index: i, detail: `event ${i}: uuid is not a string` } });
    }
    logger.close();
    expect(lines).toEqual([
      'bad event on task.multi: invalid-field: event 0: uuid is not a string',
      'bad event on task.multi: invalid-field: event 4999: uuid is not a string (4999 like it in the last 1 s)',
    ]);
  });

  it('names a few of the rows the database refuses and counts the rest', () => {
    const { lines, onEvent } = camera();
    const rows = Array.from({ length: 5000 }, (_, i) => ({ taskId: `t${i}`, reason: 'task-id-too-long' as const }));
    onEvent({ type: 'rows-rejected', rows });
    expect(lines).toEqual(['rows the database refuses, dropped: t0 (task-id-too-long), t1 (task-id-too-long), t2 (task-id-too-long) and 4997 more']);
  });

  it('says whether dropped changes are the fault of a slow database or a down one, and what they cost, once a minute', () => {
    const { lines, onEvent, tick } = camera();
    const drop = (cause: 'database-slow' | 'database-down', total: number): CameraEvent => ({
      type: 'changes-dropped',
      count: 10,
      total,
      dropped: { unfinished: 0, unfinishedWritten: 0, finished: 10, finishedWritten: 0 },
      cause,
      maxPendingTasks: 100,
      lastSnapshotMs: 4200,
    });
    onEvent(drop('database-slow', 10));
    onEvent(drop('database-slow', 20));
    tick(61_000);
    onEvent(drop('database-down', 30));
    expect(lines[0]).toBe(
      'database too slow for the events (snapshots succeed, the last took 4.2 s): dropped 10 task changes past the cap of 100 pending (10 so far): 10 finished tasks never written (missing)',
    );
    expect(lines.some((line) => line.startsWith('database down: dropped 10 task changes past the cap of 100 pending (30 so far)'))).toBe(true);
    expect(lines.filter((line) => line.startsWith('database too slow')).length).toBe(1);
  });
});

