// The monitor's live updates on each real database: a page connected to
// /api/live hears of a result another connection stored (PostgreSQL: by
// its notification, with the poll turned off; MySQL and SQLite: by the
// poll), of a periodic-task edit, of a result from a writer that does not
// notify and of a camera snapshot (both polled everywhere),
// and of nothing at all by a comment; the
// source stops when the last page leaves; closing the server ends the
// stream as a completed response.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { PeriodicTaskStore } from '../../src/scheduler/index.js';
import { LiveFeed } from '../../src/web/live/live-feed.js';
import { startMonitorServer, type MonitorServer } from '../../src/web/server.js';
import { describeEachDatabase } from '../support/databases.js';
import { SseReader } from '../support/sse.js';
import { waitFor } from '../support/wait.js';

describeEachDatabase('monitor live updates', (testDb) => {
  const pushes = testDb.provider === 'postgresql';
  let db: Database;
  let other: Database;
  let server: MonitorServer;
  let page: SseReader;

  beforeAll(async () => {
    db = await testDb.open();
    other = await testDb.open();
    // On PostgreSQL the poll never comes round: results and edits must arrive by notification.
    server = await startMonitorServer({ database: db, port: 0, token: 'live-token-0123456789', live: { pollMs: pushes ? 600_000 : 100, heartbeatMs: 200 } });
    // No token: the stream is a read, like the lists.
    page = await SseReader.open(`${server.url}api/live`);
  });

  afterAll(async () => {
    page?.close();
    await server?.close();
  });

  it('sends a results event after another connection stores a result', async () => {
    const backend = new PrismaResultBackend(other);
    try {
      // The source starts with the stream (its first read, or LISTEN, is moments away): store until it hears.
      const heard = await waitFor(
        'a results event',
        async () => {
          const id = randomUUID();
          const seen = page.named('results').length;
          await backend.markSucceeded(id, 42, { name: 'tasks.add' });
          await new Promise((resolve) => setTimeout(resolve, 300));
          return page.named('results').slice(seen).find((event) => (pushes ? (JSON.parse(event.data) as string[]).includes(id) : event.data === '*'));
        },
        { timeoutMs: 10_000, intervalMs: 0 },
      );
      expect(heard.event).toBe('results');
    } finally {
      await backend.close();
    }
  });

  it('sends a periodic event after a periodic task is edited', async () => {
    const seen = page.named('periodic').length;
    await new PeriodicTaskStore(other).create({ name: `live-${randomUUID()}`, task: 'tasks.echo', schedule: { every: 60 } });
    await waitFor('a periodic event', () => page.named('periodic').length > seen, { timeoutMs: 5_000 });
  });

  it('keeps an idle stream open with comments', async () => {
    await waitFor('a keep-alive comment', () => page.comments.includes('keep-alive'), { timeoutMs: 5_000 });
  });

  it('sends results, tasks and workers events for rows writers that do not notify make (polled on every database)', async () => {
    const feed = new LiveFeed(db, { pollMs: 50 });
    const reader = SseReader.of(feed.stream());
    try {
      // The first poll is the baseline: write until a poll after it sees the rows move.
      await waitFor(
        'results, tasks and workers events',
        async () => {
          // As a Python Celery worker stores a result: a plain write, no notification.
          await other.prisma.taskMeta.create({ data: { taskId: randomUUID(), status: 'SUCCESS', result: '42', dateDone: new Date() } });
          const worker = await other.prisma.workerState.create({ data: { hostname: `celery@${randomUUID()}`, lastHeartbeat: new Date() } });
          await other.prisma.taskState.create({ data: { taskId: randomUUID(), state: 'SUCCESS', name: 'tasks.add', tstamp: new Date(), workerId: worker.id } });
          await new Promise((resolve) => setTimeout(resolve, 200));
          return ['results', 'tasks', 'workers'].every((topic) => reader.named(topic).length > 0);
        },
        { timeoutMs: 10_000, intervalMs: 0 },
      );
    } finally {
      reader.close();
      await feed.close();
    }
  });

  it('answers a HEAD with the headers alone, starting nothing', async () => {
    const response = await fetch(`${server.url}api/live`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });

  it('stops its source when the last page leaves', async () => {
    const feed = new LiveFeed(db, { pollMs: 50 });
    try {
      const body = feed.stream().body!;
      expect(feed.clients).toBe(1);
      await body.cancel();
      expect(feed.clients).toBe(0);
    } finally {
      await feed.close();
    }
  });

  it('ends the stream as a completed response when the server closes', async () => {
    const last = await SseReader.open(`${server.url}api/live`);
    await server.close();
    expect(await last.ended).toBe('ended');
    expect(await page.ended).toBe('ended');
  });
});
