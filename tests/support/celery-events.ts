// Celery events as a worker publishes them, for the tests that feed a
// camera through the broker, and Celery's own receiver reading them.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import { publishChannel } from '../../src/broker/redis/channels.js';
import { fanoutEnvelope } from '../../src/broker/redis/fanout-message.js';
import { parseRedisUrl, transportOf } from '../../src/broker/url.js';
import { eventMessage } from '../../src/snapshot/node-events/event-body.js';
import { PYTHON } from './services.js';
import { waitFor } from './wait.js';

export type TaskStage = 'task-received' | 'task-started' | 'task-succeeded';

/**
 * task-received, -started and -succeeded for each id (or the `stages`
 * given), as one task.multi array per task, on either transport.
 */
export async function publishTasks(
  url: string,
  ids: readonly string[],
  hostname: string,
  stages: readonly TaskStage[] = ['task-received', 'task-started', 'task-succeeded'],
): Promise<void> {
  const now = Date.now() / 1000;
  const bodies = ids.map((uuid, i) => {
    const common = { hostname, utcoffset: 0, pid: 1, clock: i };
    const events = {
      'task-received': { ...common, uuid, name: 'tasks.add', args: `(${i}, 1)`, kwargs: '{}', retries: 0, eta: null, expires: null, timestamp: now, type: 'task-received' },
      'task-started': { ...common, uuid, timestamp: now + 0.001, type: 'task-started' },
      'task-succeeded': { ...common, uuid, result: String(i + 1), runtime: 0.001, timestamp: now + 0.002, type: 'task-succeeded' },
    };
    return JSON.stringify(stages.map((stage) => events[stage]));
  });
  if (transportOf(url) === 'redis') return publishOnRedis(url, bodies, hostname);
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    for (const body of bodies) {
      channel.publish('celeryev', 'task.multi', Buffer.from(body), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        headers: { hostname },
      });
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** As kombu's Redis transport publishes them (tests/unit/redis-events-wire.test.ts holds this to the capture). */
async function publishOnRedis(url: string, bodies: readonly string[], hostname: string): Promise<void> {
  const client = new Redis(url);
  try {
    const channel = publishChannel(parseRedisUrl(url).db, 'celeryev', 'task.multi');
    for (const body of bodies) await client.publish(channel, fanoutEnvelope(eventMessage('celeryev', hostname, 'task.multi', body), randomUUID()));
  } finally {
    client.disconnect();
  }
}

export interface ReceiverOutcome {
  workers: Record<string, { alive: boolean; sw_ident: string; freq: number; processed: number | null }>;
  tasks: Record<string, { state: string; name: string; result: string; args: string; worker: string }>;
}

export interface PythonReceiver {
  /** Resolves once the receiver listens and the worker answered its wake-up broadcast. */
  woken(): Promise<void>;
  /** Resolves to what State made of the events once `taskId` succeeded; rejects if the receiver fails. */
  outcome(): Promise<ReceiverOutcome>;
}

const RECEIVER = fileURLToPath(new URL('./python/receiver.py', import.meta.url));

/** Python's EventReceiver (wakeup=True) and State on `brokerUrl`, until `taskId` succeeds on `hostname` (tests/support/python/receiver.py). */
export function pythonReceiver(brokerUrl: string, taskId: string, hostname: string): PythonReceiver {
  const python = spawn(PYTHON, [RECEIVER, taskId, hostname], { env: { ...process.env, BROKER_URL: brokerUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  python.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  python.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => python.on('exit', resolve));
  // Python imports Celery in seconds on a loaded machine: the waits allow
  // a Python worker's start, and a receiver that exited fails them at once.
  const printed = (line: string) => (): boolean => {
    if (python.exitCode !== null) throw new Error(`the Python receiver exited (${python.exitCode}) before ${line}:\n${err}`);
    return err.includes(line);
  };
  return {
    async woken() {
      await waitFor('the Python receiver', printed('READY'), { timeoutMs: 60_000 });
      // The receiver's wake-up broadcast makes the worker answer with a freq-5 heartbeat.
      await waitFor('the wake-up answer', printed('HEARTBEAT'), { timeoutMs: 30_000 });
    },
    async outcome() {
      const code = await exited;
      if (code !== 0) throw new Error(`the Python receiver exited with ${code}:\n${err}`);
      return JSON.parse(out) as ReceiverOutcome;
    },
  };
}
