// `prisma-celery cam` as a process: it consumes, counts what it received at
// its --metrics-port, and SIGTERM (or SIGINT) writes the final snapshot
// before it exits 0. --freq is long, so only that final snapshot can have
// written the rows.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as amqp from 'amqplib';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { testBrokerUrl, describeWithBroker } from '../support/broker.js';
import { LOG_LINE } from '../support/log-line.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describeWithBroker('prisma-celery cam', () => {
  describeEachDatabase('process', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`writes a final snapshot on ${signal} and exits 0`, { timeout: 60_000 }, async () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', 'cam', '--freq', '600', '--maxrate', '100/m', '--database-url', testDb.url, '--broker', testBrokerUrl(), '--log-level', 'debug', '--metrics-port', '0'],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        try {
          await waitFor('the camera to consume and serve its metrics', () => output.includes('consuming events from') && output.includes('Prometheus metrics on'));
          const metricsUrl = / INFO  cam +Prometheus metrics on (http:\S+)/.exec(output)?.[1] ?? '';
          const received = async (): Promise<number> => {
            const text = await (await fetch(metricsUrl)).text();
            return Number(/^celery_camera_events_received_total (\d+)$/m.exec(text)?.[1] ?? NaN);
          };
          const before = await received();
          const hostname = `cli-${randomBytes(3).toString('hex')}@test`;
          const uuid = randomUUID();
          const connection = await amqp.connect(testBrokerUrl());
          try {
            const channel = await connection.createConfirmChannel();
            const common = { hostname, utcoffset: 0, pid: 1, clock: 1, timestamp: Date.now() / 1000 };
            channel.publish('celeryev', 'worker.online', Buffer.from(JSON.stringify({ ...common, freq: 2.0, type: 'worker-online' })), {
              contentType: 'application/json',
              contentEncoding: 'utf-8',
            });
            channel.publish(
              'celeryev',
              'task.multi',
              Buffer.from(JSON.stringify([{ ...common, uuid, name: 'tasks.add', args: '(1, 2)', kwargs: '{}', type: 'task-received' }])),
              { contentType: 'application/json', contentEncoding: 'utf-8' },
            );
            await channel.waitForConfirms();
          } finally {
            await connection.close();
          }
          // Its counter says when the camera has taken both events off its queue.
          await waitFor('the events counted at /metrics', async () => (await received()) >= before + 2);
          expect(await db.prisma.taskState.findUnique({ where: { taskId: uuid } })).toBeNull();
          child.kill(signal);
          expect(await exited, output).toBe(0);
          expect(output).toContain('final snapshot');
          // One log format, and the snapshots' work said at info level.
          for (const line of output.trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
          // Other files' tasks share the vhost, so at least this one: its row is checked below.
          expect(output).toMatch(/ INFO  cam +snapshots wrote [1-9]\d* task rows and [1-9]\d* worker rows /);
          expect(await db.prisma.taskState.findUnique({ where: { taskId: uuid } })).toMatchObject({ state: 'RECEIVED', name: 'tasks.add', args: '(1, 2)' });
          expect((await db.prisma.workerState.findUnique({ where: { hostname } }))?.lastHeartbeat).not.toBeNull();
        } finally {
          child.kill('SIGKILL');
        }
      });
    }
  });
});
