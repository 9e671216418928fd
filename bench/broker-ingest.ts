/**
 * W4's ingest from the broker: a camera consuming from a real broker while
 * the events are published there as workers send them: a worker's
 * consecutive task events in one task.multi array (at most 24, Celery's
 * buffer_limit; W4's four workers interleave, so about three events a
 * message), each heartbeat alone. Measured from the first publish until
 * the camera's state holds every event: broker, decoding and merging together. The
 * messages are encoded before the clock starts (on Redis the kombu
 * envelope, as tests/unit/redis-events-wire.test.ts holds it to Python's),
 * so the publisher, which shares the camera's event loop, costs little.
 */
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import type { OutboundMessage } from '../src/broker/fanout.js';
import { publishChannel } from '../src/broker/redis/channels.js';
import { fanoutEnvelope } from '../src/broker/redis/fanout-message.js';
import { parseRedisUrl, transportOf } from '../src/broker/url.js';
import type { Database } from '../src/db/open.js';
import { Camera } from '../src/snapshot/camera/camera.js';
import type { CeleryEvent } from '../src/snapshot/events/types.js';
import { eventMessage } from '../src/snapshot/node-events/event-body.js';

/** The brokers W4 ingests from; env BENCH_BROKER_URL and BENCH_REDIS_URL override them. */
export const ingestBrokers = {
  amqp: process.env.BENCH_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  // Database 0: the tests claim 1–15 for their own channels.
  redis: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
} as const;

const BUFFER_LIMIT = 24;

/** The events as a worker publishes them: consecutive task events of one worker batched, each worker event alone. */
export function workerMessages(events: readonly CeleryEvent[]): OutboundMessage[] {
  const messages: OutboundMessage[] = [];
  let batch: CeleryEvent[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    messages.push(eventMessage('celeryev', batch[0]!.hostname, 'task.multi', JSON.stringify(batch)));
    batch = [];
  };
  for (const event of events) {
    if (!event.type.startsWith('task-')) {
      flush();
      messages.push(eventMessage('celeryev', event.hostname, event.type.replace(/-/g, '.'), JSON.stringify(event)));
      continue;
    }
    if (batch.length > 0 && batch[0]!.hostname !== event.hostname) flush();
    batch.push(event);
    if (batch.length >= BUFFER_LIMIT) flush();
  }
  flush();
  return messages;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`W4 broker ingest: no ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export interface BrokerIngestRun {
  events_per_s: number;
  messages_per_s: number;
  decode_problems: number;
}

/** Sends pre-encoded messages; `send` only writes them out. */
interface RawPublisher {
  send(): Promise<void>;
  close(): Promise<void>;
}

async function rawPublisher(brokerUrl: string, messages: readonly OutboundMessage[]): Promise<RawPublisher> {
  if (transportOf(brokerUrl) === 'redis') {
    const db = parseRedisUrl(brokerUrl).db;
    const wire = messages.map((m) => [publishChannel(db, m.exchange, m.routingKey), fanoutEnvelope(m, randomUUID())] as const);
    const client = new Redis(brokerUrl);
    return {
      send: async () => {
        const pipeline = client.pipeline();
        for (const [channel, text] of wire) pipeline.publish(channel, text);
        await pipeline.exec();
      },
      close: async () => void (await client.quit()),
    };
  }
  const connection = await amqp.connect(brokerUrl);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  return {
    send: async () => {
      for (const m of messages) {
        channel.publish(m.exchange, m.routingKey, m.body, { contentType: m.contentType, contentEncoding: m.contentEncoding, deliveryMode: m.deliveryMode, priority: m.priority, headers: m.headers });
      }
      await channel.waitForConfirms();
    },
    close: () => connection.close(),
  };
}

/** One run: a fresh camera on `brokerUrl`, every message published, timed until all events are in its state. */
export async function ingestFromBroker(db: Database, brokerUrl: string, messages: readonly OutboundMessage[], eventCount: number): Promise<BrokerIngestRun> {
  // No snapshot during the run: only the way in is measured (close() writes the final one).
  const camera = new Camera({ database: db, brokerUrl, freq: 3600, maxTasks: eventCount, wakeUpWorkers: false, workerWriteInterval: 0 });
  const publisher = await rawPublisher(brokerUrl, messages);
  try {
    await camera.start();
    await until(() => camera.brokerConnected, 10_000, 'camera connection');
    const started = performance.now();
    await publisher.send();
    await until(() => camera.stats().events >= eventCount, 120_000, `${eventCount} events in the camera`);
    const seconds = (performance.now() - started) / 1000;
    return { events_per_s: eventCount / seconds, messages_per_s: messages.length / seconds, decode_problems: camera.stats().decodeProblems };
  } finally {
    await publisher.close();
    await camera.close();
  }
}
