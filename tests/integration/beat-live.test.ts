// Beat running for real (real timers), on every database: edits through
// the API and through raw SQL are held by the running scheduler within about
// a second, the next messages carry them, and beat's own writes never undo
// them. Then `prisma-celery beat` as a process: the static schedule from the
// environment, a user's scheduler class from a module, SIGTERM and SIGINT,
// and SIGTERM within --stop-timeout while the broker drops every packet.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import type { DatabaseScheduler} from '../../src/scheduler/index.js';
import { Beat, PeriodicTaskStore } from '../../src/scheduler/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { LOG_LINE } from '../support/log-line.js';
import { describeEachDatabase } from '../support/databases.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Each database's suites run side by side: they share nothing but the run's
// vhost (each test its own queue), and mostly wait on timers. Within a
// database the tests run in order.
describe.concurrent('on every database at once', () => {
  describeEachDatabase('beat picks up live edits', (testDb) => {
    it('through the API and raw SQL within about a second, and never undoes them', { timeout: 60_000 }, async () => {
      const db = await testDb.open();
      const tasks = new PeriodicTaskStore(db);
      await tasks.create({ name: 'live', task: 'tasks.echo', schedule: { every: 0.3 }, kwargs: { v: 0 }, startTime: new Date() });
      for (let i = 0; i < 50; i++) await tasks.create({ name: `idle-${i}`, task: 't', schedule: { every: 3600 } });
      const sent: TaskMessage[] = [];
      const beat = new Beat({ database: db, publisher: { publish: async (m) => void sent.push(m) }, maxInterval: 5 });
      await beat.start();
      const scheduler = beat.scheduler as DatabaseScheduler;
      const kwargsHeld = () => scheduler.entryNamed('live')?.kwargs;
      const lastKwargs = () => (sent.length === 0 ? undefined : (JSON.parse(sent.at(-1)!.content.toString()) as unknown[])[1]);
      const notice: number[] = [];
      try {
        await waitFor('a first send', () => sent.length > 0, { intervalMs: 20 });
        for (let v = 1; v <= 4; v++) {
          const started = Date.now();
          if (v % 2 === 1) await tasks.update('live', { kwargs: { v } });
          else await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"v": ${v}}' WHERE name = 'live'`);
          await waitFor(`kwargs v=${v} held`, () => (kwargsHeld() as { v?: number } | undefined)?.v === v, { intervalMs: 20 });
          notice.push(Date.now() - started);
          await waitFor(`a message with v=${v}`, () => (lastKwargs() as { v?: number } | undefined)?.v === v, { intervalMs: 20 });
          await new Promise((resolve) => setTimeout(resolve, 500)); // a few claims after the edit
        }
      } finally {
        await beat.close();
      }
      expect(Math.max(...notice)).toBeLessThan(1500);
      const row = await db.prisma.periodicTask.findUniqueOrThrow({ where: { name: 'live' } });
      expect(row.kwargs).toBe('{"v": 4}');
      expect(row.totalRunCount).toBe(sent.length);
    });
  });
});

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, output: () => output, exited };
}

describeWithBroker('prisma-celery beat', () => {
  describe.concurrent('on every database at once', () => {
    describeEachDatabase('process', (testDb) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        it.sequential(`installs the static schedule, sends it, and stops cleanly on ${signal}`, { timeout: 60_000 }, async () => {
          const queue = `beat.cli.${randomBytes(4).toString('hex')}`;
          const schedule = {
            [`static-${signal}`]: { task: 'tasks.add', schedule: '1s', args: [1, 2], options: { queue, expires: 60 } },
          };
          const beat = run(['beat', '--max-interval', '1s', '--expires', '0'], {
            DATABASE_URL: testDb.url,
            BROKER_URL: testBrokerUrl(),
            CELERY_BEAT_SCHEDULE: JSON.stringify(schedule),
            LOG_LEVEL: 'info',
          });
          try {
            await waitFor('a task sent', () => beat.output().includes(`sent static-${signal} (tasks.add[`), { intervalMs: 50 });
          } finally {
            beat.child.kill(signal);
          }
          expect(await beat.exited).toBe(0);
          expect(beat.output()).toContain('static schedule: 1 created');
          expect(beat.output()).toContain('beat stopped');
          for (const line of beat.output().trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
          const db = await testDb.open();
          const row = await db.prisma.periodicTask.findUniqueOrThrow({ where: { name: `static-${signal}` } });
          expect(row).toMatchObject({ queue, expireSeconds: 60, args: '[1,2]' });
          expect(row.totalRunCount).toBeGreaterThan(0);
          expect(await db.prisma.periodicTask.count({ where: { name: 'celery.backend_cleanup' } })).toBe(0);
        });
      }

      it.sequential('stops within --stop-timeout on SIGTERM while the broker drops every packet, the stuck run given back', { timeout: 60_000 }, async () => {
        const broker = new URL(testBrokerUrl());
        const proxy = new TcpProxy(broker.hostname, Number(broker.port || 5672));
        broker.port = String(await proxy.listen());
        const queue = `beat.stop.${randomBytes(4).toString('hex')}`;
        const schedule = { partitioned: { task: 'tasks.add', schedule: '1s', options: { queue } } };
        const db = await testDb.open();
        await db.prisma.periodicTask.deleteMany(); // the entries of the tests before: a tick stuck on theirs would never claim this one
        const beat = run(['beat', '--max-interval', '1s', '--expires', '0', '--stop-timeout', '2s'], {
          DATABASE_URL: testDb.url,
          BROKER_URL: broker.toString(),
          CELERY_BEAT_SCHEDULE: JSON.stringify(schedule),
          LOG_LEVEL: 'info',
        });
        const runs = async () => (await db.prisma.periodicTask.findUnique({ where: { name: 'partitioned' } }))?.totalRunCount ?? 0;
        const sends = () => beat.output().split('sent partitioned').length - 1;
        let stoppedIn = Infinity;
        try {
          await waitFor('a task sent', () => sends() > 0, { intervalMs: 50 });
          proxy.blackhole();
          await waitFor('a run claimed and stuck in its publish', async () => (await runs()) > sends(), { intervalMs: 50 });
          const started = performance.now();
          beat.child.kill('SIGTERM');
          expect(await beat.exited).toBe(0);
          stoppedIn = (performance.now() - started) / 1000;
        } finally {
          if (process.env.DEBUG_BEAT) console.log(beat.output());
          beat.child.kill('SIGKILL');
          proxy.heal();
          await proxy.cut();
        }
        // The 2 s budget and a process winding down, against the ~150 s a publish
        // stuck on confirms took before; the slack is for a loaded machine.
        expect(stoppedIn).toBeLessThan(2 + 4);
        expect(beat.output()).toContain('run given back');
        expect(beat.output()).not.toContain('could not be sent nor given back');
        expect(await runs()).toBe(sends());
      });

      it.sequential("runs a user's scheduler class from a module, and refuses unknown names clearly", { timeout: 60_000 }, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'pc-scheduler-'));
        try {
          const marker = join(dir, 'ticks.txt');
          writeFileSync(
            join(dir, 'my-scheduler.mjs'),
            [
              "import { appendFileSync } from 'node:fs';",
              'export class Ticker {',
              '  constructor(context) { this.context = context; }',
              `  async start() { appendFileSync(${JSON.stringify(marker)}, 'start ' + this.context.origin + '\\n'); }`,
              `  async tick(now) { appendFileSync(${JSON.stringify(marker)}, 'tick\\n'); return 0.2; }`,
              `  async close() { appendFileSync(${JSON.stringify(marker)}, 'close\\n'); }`,
              '}',
            ].join('\n'),
          );
          const env = { DATABASE_URL: testDb.url, BROKER_URL: testBrokerUrl(), CELERY_RESULT_EXPIRES: '0' };
          const beat = run(['beat', '--scheduler', `${join(dir, 'my-scheduler.mjs')}#Ticker`], env);
          const { readFileSync } = await import('node:fs');
          const ticks = () => {
            try {
              return readFileSync(marker, 'utf8');
            } catch {
              return '';
            }
          };
          await waitFor('ticks', () => ticks().split('tick').length > 3, { intervalMs: 50 });
          beat.child.kill('SIGTERM');
          expect(await beat.exited).toBe(0);
          expect(ticks()).toMatch(/^start gen\d+@.+\n(tick\n)+close\n$/);

          const unknown = run(['beat', '--scheduler', 'FileScheduler'], env);
          expect(await unknown.exited).toBe(2);
          expect(unknown.output()).toContain('unknown scheduler "FileScheduler": use one of DatabaseScheduler,');
          const missing = run(['beat', '--scheduler', `${join(dir, 'my-scheduler.mjs')}#Nope`], env);
          expect(await missing.exited).toBe(2);
          expect(missing.output()).toContain('has no export "Nope" (it exports: Ticker)');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
});

// Not every database: the test only needs one to prove the message is clear.
it('beat refuses a bad static schedule with the entry and the problem, exit code 2', async () => {
  const beat = run(['beat'], {
    DATABASE_URL: 'file:/nonexistent/never-opened.db',
    CELERY_BEAT_SCHEDULE: JSON.stringify({ nightly: { task: 'tasks.x', schedule: { crontab: '0 4 * *' } } }),
  });
  expect(await beat.exited).toBe(2);
  expect(beat.output()).toContain('beatSchedule: entry "nightly": crontab "0 4 * *": expected 5 fields');
});
