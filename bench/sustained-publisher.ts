/**
 * W4's sustained publisher, a child process of its own so the camera's CPU
 * and event loop are the camera's alone: task events at a steady rate to
 * the `celeryev` exchange as Celery workers send them, each task's
 * task-received, -started and -succeeded in a row, one event a message
 * (`single`) or ten to a task.multi message (`batched`). Event k of the run
 * is due at t0 + k / rate; each tick publishes what is due by then, so
 * `lateMs` says how far behind the plan the publisher itself fell, and
 * `sent` when each event went out: [events sent so far, epoch ms] per tick.
 * Messages are encoded before the clock starts.
 *
 * Started with the plan as JSON in argv[2]; says `ready` over IPC once
 * connected and is then sent t0; prints one JSON line when done.
 */
import * as amqp from 'amqplib';
import { sustainedTaskId, type SustainedPlan } from './broker-sustained.js';

const TICK_MS = 10;
const WORKERS = 4;

const plan = JSON.parse(process.argv[2] ?? '{}') as SustainedPlan;
const total = plan.tasks * 3;


function event(k: number): Record<string, unknown> {
  const task = Math.floor(k / 3);
  const uuid = sustainedTaskId(plan.run, task);
  const common = { hostname: `w${task % WORKERS}@sustained`, utcoffset: 0, pid: 1000 + (task % WORKERS), clock: k + 1, timestamp: (plan.t0 + (k * 1000) / plan.rate) / 1000, uuid };
  switch (k % 3) {
    case 0:
      return { ...common, type: 'task-received', name: 'tasks.add', args: `(${task}, 1)`, kwargs: '{}', root_id: uuid, parent_id: null, retries: 0, eta: null, expires: null };
    case 1:
      return { ...common, type: 'task-started' };
    default:
      return { ...common, type: 'task-succeeded', result: String(task + 1), runtime: 0.001 };
  }
}

interface Message {
  routingKey: string;
  hostname: string;
  body: Buffer;
  /** Events up to and including this message. */
  through: number;
}
const messages: Message[] = [];
for (let k = 0; k < total; ) {
  const events = [];
  for (let i = 0; i < plan.batch && k < total; i++) events.push(event(k++));
  const first = events[0]!;
  messages.push(
    plan.batch === 1
      ? { routingKey: String(first.type).replace(/-/g, '.'), hostname: String(first.hostname), body: Buffer.from(JSON.stringify(first)), through: k }
      : { routingKey: 'task.multi', hostname: String(first.hostname), body: Buffer.from(JSON.stringify(events)), through: k },
  );
}

const connection = await amqp.connect(plan.brokerUrl);
const channel = await connection.createChannel();
await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
// t0 comes once connected, so the start-up of this process is not counted as lateness.
plan.t0 = await new Promise<number>((resolve) => {
  process.once('message', (t0) => resolve(t0 as number));
  process.send?.('ready');
});
process.disconnect?.();
const send = (m: Message): boolean =>
  channel.publish('celeryev', m.routingKey, m.body, { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 1, headers: { hostname: m.hostname } });

let next = 0;
let lateMs = 0;
const sent: [number, number][] = [];
while (next < messages.length) {
  const now = Date.now();
  const due = Math.min(total, Math.floor(((now - plan.t0) * plan.rate) / 1000));
  const from = next === 0 ? 0 : messages[next - 1]!.through;
  if (due > from) lateMs = Math.max(lateMs, now - (plan.t0 + (from * 1000) / plan.rate));
  let room = true;
  // A message goes once its first event is due.
  while (next < messages.length && (next === 0 ? 0 : messages[next - 1]!.through) < due && room) room = send(messages[next++]!);
  if (next > 0) sent.push([messages[next - 1]!.through, Date.now()]);
  if (!room) await new Promise((resolve) => channel.once('drain', resolve));
  else await new Promise((resolve) => setTimeout(resolve, TICK_MS));
}
// The channel's close-ok comes after the server took every message.
await channel.close();
await connection.close();
process.stdout.write(`${JSON.stringify({ events: total, seconds: (Date.now() - plan.t0) / 1000, lateMs, sent })}\n`);
