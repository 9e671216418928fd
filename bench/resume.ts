/**
 * `npx tsx bench/resume.ts [--db postgresql] [--down 20] [--runs 3]`: how
 * soon beat, the camera and the result backend are back at work after their
 * database returns. PostgreSQL and MariaDB are private servers, really
 * crashed (pg_ctl stop -m immediate, SIGKILL) and started again; SQLite's
 * outage is its write lock held by another connection. One JSON line per
 * database on stdout; BENCH_BROKER_URL names the RabbitMQ the camera uses.
 */
import { parseArgs } from 'node:util';
import { providers, type Provider } from '../src/db/url.js';
import { openOutage, measureResume, type ResumeResult } from '../tests/support/resume-scenario.js';
import { environment, loadAverage } from './env.js';
import { summarise } from './stats.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', multiple: true },
    down: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const chosen = (values.db ?? [...providers]).flatMap((v) => v.split(',')) as Provider[];
const downMs = Number(values.down) * 1000;
const runs = Number(values.runs);
const brokerUrl = process.env.BENCH_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

for (const provider of chosen) {
  const loadavgStart = loadAverage();
  const outage = await openOutage(provider);
  const results: ResumeResult[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const result = await measureResume(outage, { brokerUrl, downMs, cameraFreq: 1, tasks: 200, stores: 50, log: (line) => console.error(line) });
      console.error(JSON.stringify(result));
      results.push(result);
    }
  } finally {
    await outage.close();
  }
  const metric = (key: 'beatMs' | 'cameraMs' | 'backendMs') => summarise(results.map((r) => r[key]));
  const total = (key: keyof ResumeResult) => results.reduce((n, r) => n + r[key], 0);
  const line = {
    suite: 'prisma-celery',
    workload: 'resume-after-outage',
    db: provider,
    params: { down_s: downMs / 1000, tasks: 200, stores: 50 },
    results: {
      beat_resume_ms: metric('beatMs'),
      camera_resume_ms: metric('cameraMs'),
      backend_resume_ms: metric('backendMs'),
      sends: total('sends'),
      claimed: total('claimed'),
      duplicate_sends: total('duplicateSends'),
      sends_while_down: total('sendsWhileDown'),
      events_received: total('eventsReceived'),
      tasks_written: total('tasksWritten'),
      stores_committed: total('storesCommitted'),
      stores_failed: total('storesFailed'),
    },
    env: environment(loadavgStart, loadAverage()),
  };
  console.log(JSON.stringify(line));
}
