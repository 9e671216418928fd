import { createClient, createWorker } from 'celery-node';
import { describe, expect, it } from 'vitest';
import { attachBackend, instrumentWorker, PrismaResultBackend, type BackendEvent, type CeleryNodeBackend } from '../../src/backend/index.js';

// A database that cannot be opened: every store and read fails for good.
const broken = (events: BackendEvent[]) =>
  new PrismaResultBackend('file:/nonexistent-prisma-celery-dir/results.db', { onEvent: (event) => events.push(event) });

const backendOf = (app: object): CeleryNodeBackend => (app as { _backend: CeleryNodeBackend })._backend;

describe('attachBackend', () => {
  it('gives celery-node a backend whose stores and reads never reject, reporting failures instead', async () => {
    const events: BackendEvent[] = [];
    const backend = broken(events);
    const worker = attachBackend(createWorker('amqp://unused', 'amqp://', 'q'), backend);
    const injected = backendOf(worker);
    // celery-node's Worker does not await this; a rejection would be unhandled.
    await expect(injected.storeResult('t1', 5, 'SUCCESS')).resolves.toBeUndefined();
    // celery-node's AsyncResult polls this without a catch; null keeps it polling.
    await expect(injected.getTaskMeta('t1')).resolves.toBeNull();
    expect(events.map((e) => e.type)).toEqual(['store-failed', 'read-failed']);
    expect(events[0]).toMatchObject({ taskId: 't1', state: 'SUCCESS' });
    await injected.disconnect();
    await backend.close();
  });

  it('must come before celery-node creates its own backend, and binds one backend per app', async () => {
    const backend = broken([]);
    const client = createClient('amqp://unused', 'amqp://unused', 'q');
    attachBackend(client, backend);
    expect(attachBackend(client, backend)).toBe(client);
    expect(() => attachBackend(client, broken([]))).toThrow('already uses another result backend');
    const late = createClient('amqp://unused', 'redis://unused', 'q');
    (late as unknown as { _backend: object })._backend = {}; // what reading client.backend leaves behind
    expect(() => attachBackend(late, backend)).toThrow(/attach before start\(\), sendTask\(\) or asyncResult\(\)/);
    expect(() => instrumentWorker({} as never, backend)).toThrow('needs a celery-node Worker or Client');
    await backend.close();
  });

  it('leaves the backend open when celery-node disconnects: whoever made it closes it', async () => {
    const backend = new PrismaResultBackend('file::memory:');
    const worker = attachBackend(createWorker('amqp://unused', 'amqp://', 'q'), backend);
    await backendOf(worker).disconnect();
    await expect(backend.getTaskMeta('x')).rejects.not.toMatchObject({ code: 'E_BACKEND_CLOSED' });
    await backend.close();
    await expect(backend.getTaskMeta('x')).rejects.toMatchObject({ code: 'E_BACKEND_CLOSED' });
  });
});
