// The captured Celery 5.2.6 worker run (events.json) published onto a
// celeryev exchange of a vhost of its own, as captured and re-batched into
// task.multi arrays, through a running camera into each database: the rows
// must end as Celery's own State ended (events-state-replay.json).
import * as amqp from 'amqplib';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithBroker } from '../support/broker.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';
import { waitFor } from '../support/wait.js';
import { readCeleryFixture, SUBJECT_OF_STATE } from '../support/celery-fixtures.js';


interface MessageRecord {
  routing_key: string;
  properties: { content_type: string; content_encoding: string; delivery_mode: number; priority: number };
  headers: Record<string, string>;
  body_b64: string;
  body: unknown;
}

interface ReplayTask {
  state: string;
  name: string | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  [subject: string]: unknown;
}


const records = readCeleryFixture<MessageRecord[]>('events.json');
const replay = readCeleryFixture<{ events: number; tasks: Record<string, ReplayTask> }>('events-state-replay.json');

/** The captured messages with every run of consecutive task events (not task-sent) packed into task.multi arrays of up to 24. */
function rebatched(): { routingKey: string; record: MessageRecord; body: Buffer }[] {
  const out: { routingKey: string; record: MessageRecord; body: Buffer }[] = [];
  let batch: unknown[] = [];
  let first: MessageRecord | null = null;
  const flush = (): void => {
    if (first !== null && batch.length > 0) out.push({ routingKey: 'task.multi', record: first, body: Buffer.from(JSON.stringify(batch)) });
    batch = [];
    first = null;
  };
  for (const record of records) {
    if (record.routing_key !== 'task.multi') {
      flush();
      out.push({ routingKey: record.routing_key, record, body: Buffer.from(record.body_b64, 'base64') });
      continue;
    }
    first ??= record;
    batch.push(...(record.body as unknown[]));
    if (batch.length >= 24) flush();
  }
  flush();
  return out;
}

const asCaptured = (): { routingKey: string; record: MessageRecord; body: Buffer }[] =>
  records.map((record) => ({ routingKey: record.routing_key, record, body: Buffer.from(record.body_b64, 'base64') }));

async function publish(url: string, messages: { routingKey: string; record: MessageRecord; body: Buffer }[]): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    for (const { routingKey, record, body } of messages) {
      channel.publish('celeryev', routingKey, body, {
        contentType: record.properties.content_type,
        contentEncoding: record.properties.content_encoding,
        deliveryMode: record.properties.delivery_mode,
        priority: record.properties.priority,
        headers: record.headers,
      });
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

// Celery's reading of eta/expires: an offset if given, else UTC.
const utcIso = (iso: string | null): string | null => (iso === null ? null : DateTime.fromISO(iso, { zone: 'utc' }).toJSDate().toISOString());

describeWithBroker('camera over RabbitMQ: the captured run', () => {
  let vhost: PrivateVhost;
  beforeAll(() => {
    vhost = privateVhost('replay');
  });
  afterAll(() => vhost?.drop());

  describeEachDatabase('replay', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    for (const [form, messages] of [
      ['as captured', asCaptured],
      ['re-batched into task.multi arrays', rebatched],
    ] as const) {
      it(`ends every task and the worker as Celery's State does (${form})`, async () => {
        await db.prisma.taskState.deleteMany();
        await db.prisma.workerState.deleteMany();
        const seen: CameraEvent[] = [];
        // The capture is days old, past every expiry limit: the camera's first
        // cleanup (at its first snapshot tick) would delete whatever rows were
        // written by then. Expiry is not what this replay checks.
        const keep = { expireSuccess: null, expireError: null, expirePending: null };
        const camera = new Camera({ database: db, brokerUrl: vhost.url, freq: 0.2, ...keep, onEvent: (e) => seen.push(e) });
        await camera.start();
        try {
          await waitFor('the camera to consume', () => camera.brokerConnected, { timeoutMs: 15_000, intervalMs: 20 });
          await publish(vhost.url, messages());
          await waitFor(`${replay.events} events`, () => camera.stats().events >= replay.events, { timeoutMs: 15_000, intervalMs: 20 });
        } finally {
          await camera.close();
        }
        const stats = camera.stats();
        expect(stats.events).toBe(replay.events);
        expect(stats.decodeProblems).toBe(0);
        expect(stats.snapshotFailures).toBe(0);
        expect(seen.some((e) => e.type === 'snapshot' && e.final)).toBe(true);

        const rows = await db.prisma.taskState.findMany({ include: { worker: true } });
        expect(rows).toHaveLength(Object.keys(replay.tasks).length);
        for (const row of rows) {
          const task = replay.tasks[row.taskId];
          expect(task, row.taskId).toBeDefined();
          if (task === undefined) continue;
          const expected = {
            state: task.state,
            name: task.name,
            args: task.args,
            kwargs: task.kwargs,
            result: task.result ?? task.exception,
            traceback: task.traceback,
            runtime: task.runtime,
            retries: task.retries ?? 0,
            worker: task.worker,
            eta: utcIso(task.eta),
            expires: utcIso(task.expires),
          };
          expect(
            {
              state: row.state,
              name: row.name,
              args: row.args,
              kwargs: row.kwargs,
              result: row.result,
              traceback: row.traceback,
              runtime: row.runtime,
              retries: row.retries,
              worker: row.worker?.hostname ?? null,
              eta: row.eta?.toISOString() ?? null,
              expires: row.expires?.toISOString() ?? null,
            },
            row.taskId,
          ).toEqual(expected);
          // tstamp: when the shown state began, to the millisecond the columns keep.
          const began = task[SUBJECT_OF_STATE[task.state] ?? ''] as number;
          expect(Math.abs(row.tstamp.getTime() - began * 1000), row.taskId).toBeLessThanOrEqual(1);
        }
        // worker-offline came last: the worker is known, and not alive.
        const workers = await db.prisma.workerState.findMany();
        const w1 = workers.find((w) => w.hostname === 'w1@vm');
        expect(w1).toBeDefined();
        expect(w1?.lastHeartbeat).toBeNull();
      });
    }
  });
});
