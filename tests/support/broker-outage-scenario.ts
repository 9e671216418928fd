// The broker goes away (a TCP proxy in front of RabbitMQ or Redis drops
// every connection and refuses new ones) while a task finishes: the camera
// reconnects with backoff, listens again within 2 s of the broker's
// return, says how long it was deaf, and reconciles the task whose events
// it missed from celery_taskmeta. For camera-outage.test.ts (AMQP) and
// camera-redis.test.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { publishTasks } from './celery-events.js';
import { TcpProxy } from './tcp-proxy.js';
import { waitFor } from './wait.js';

const OUTAGE_MS = 800;

export const countSucceeded = async (db: Database, ids: readonly string[]): Promise<number> =>
  db.prisma.taskState.count({ where: { taskId: { in: [...ids] }, state: 'SUCCESS' } });

export async function brokerOutageScenario(db: Database, brokerUrl: string, defaultPort: number): Promise<void> {
  const broker = new URL(brokerUrl);
  const proxy = new TcpProxy(broker.hostname, Number(broker.port || defaultPort));
  broker.port = String(await proxy.listen());
  const seen: CameraEvent[] = [];
  const camera = new Camera({
    database: db,
    brokerUrl: broker.toString(),
    freq: 0.1,
    reconnectInitialDelayMs: 100,
    reconnectMaxDelayMs: 400,
    onEvent: (e) => seen.push(e),
  });
  const hostname = `bo-${randomBytes(3).toString('hex')}@test`;
  const missed = randomUUID();
  const after = randomUUID();
  let restoredAt = 0;
  let cutAt = 0;
  await camera.start();
  try {
    await waitFor('the camera to consume', () => camera.brokerConnected);
    // The task starts while the camera listens…
    await publishTasks(brokerUrl, [missed], hostname);
    await waitFor('the task stored', async () => (await countSucceeded(db, [missed])) === 1);
    await db.prisma.taskState.update({ where: { taskId: missed }, data: { state: 'STARTED', result: null } });
    // …and finishes while it does not: only the result backend saw it.
    cutAt = Date.now();
    await proxy.cut();
    await waitFor('the disconnect', () => !camera.brokerConnected);
    await db.prisma.taskMeta.create({ data: { taskId: missed, status: 'SUCCESS', result: '1', dateDone: new Date() } });
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    restoredAt = Date.now();
    await proxy.restore();
    // Backoff is capped at 400 ms: the camera listens again well within 2 s.
    await waitFor('the reconnection', () => seen.some((e) => e.type === 'broker-connected' && e.reconnect), { timeoutMs: 2000, intervalMs: 20 });
    await publishTasks(brokerUrl, [after], hostname);
    await waitFor('events after the reconnection', async () => (await countSucceeded(db, [after])) === 1);
    await waitFor('the reconciliation', async () => (await db.prisma.taskState.findUnique({ where: { taskId: missed } }))?.state === 'SUCCESS');
  } finally {
    await camera.close();
    await proxy.cut();
  }
  expect(seen.filter((e) => e.type === 'broker-disconnected')).toHaveLength(1);
  expect(seen.some((e) => e.type === 'broker-reconnect-scheduled')).toBe(true);
  expect(seen.some((e) => e.type === 'reconciled' && e.tasks >= 1)).toBe(true);
  const reconnected = seen.find((e) => e.type === 'broker-connected' && e.reconnect);
  const deafMs = reconnected?.type === 'broker-connected' ? reconnected.deafMs : null;
  // Deaf from the loss until listening again: at least the outage, at most until the reconnection was seen.
  expect(deafMs).toBeGreaterThanOrEqual(restoredAt - cutAt - 50);
  expect(deafMs).toBeLessThanOrEqual(Date.now() - cutAt);
  expect(camera.stats()).toMatchObject({ brokerDisconnects: 1, brokerDeafMs: deafMs });
}
