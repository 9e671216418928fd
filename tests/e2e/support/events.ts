// Celery events as a Celery 5 worker publishes them on the vhost's
// celeryev topic exchange: JSON bodies, routing keys like worker.heartbeat
// and task.multi (the worker's batches of task events).
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel } from 'amqplib';

type Fields = Record<string, unknown>;

export class EventStream {
  readonly #channel: ConfirmChannel;
  #clock = 0;

  private constructor(channel: ConfirmChannel) {
    this.#channel = channel;
  }

  static async open(connection: ChannelModel): Promise<EventStream> {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
    return new EventStream(channel);
  }

  #event(type: string, hostname: string, fields: Fields): Fields {
    return { type, hostname, timestamp: Date.now() / 1000, utcoffset: 0, pid: 4242, clock: ++this.#clock, ...fields };
  }

  /** worker-online / worker-heartbeat / worker-offline, as a 5.2.6 worker sends them. */
  async worker(type: 'online' | 'heartbeat' | 'offline', hostname: string): Promise<void> {
    const event = this.#event(`worker-${type}`, hostname, {
      freq: 2.0,
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
      active: 0,
      processed: 3,
      loadavg: [0.1, 0.05, 0.01],
    });
    await this.#publish(`worker.${type}`, event);
  }

  /** One task's received → started → succeeded or failed, batched into one task.multi message. */
  async task(hostname: string, name: string, args: string, outcome: { result: string } | { exception: string; traceback: string }): Promise<string> {
    const uuid = randomUUID();
    const events = [
      this.#event('task-received', hostname, { uuid, name, args, kwargs: '{}', retries: 0, eta: null, expires: null, root_id: uuid, parent_id: null }),
      this.#event('task-started', hostname, { uuid }),
      'result' in outcome
        ? this.#event('task-succeeded', hostname, { uuid, result: outcome.result, runtime: 0.0123 })
        : this.#event('task-failed', hostname, { uuid, exception: outcome.exception, traceback: outcome.traceback }),
    ];
    await this.#publish('task.multi', events);
    return uuid;
  }

  async #publish(routingKey: string, body: unknown): Promise<void> {
    this.#channel.publish('celeryev', routingKey, Buffer.from(JSON.stringify(body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
    });
    await this.#channel.waitForConfirms();
  }

  async close(): Promise<void> {
    await this.#channel.close();
  }
}
