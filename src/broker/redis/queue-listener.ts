/**
 * Listens to a direct exchange on Redis as kombu does: the queue's binding
 * is a member of `_kombu.binding.<exchange>` (the publisher reads that set
 * and LPUSHes onto each bound queue's list) and the list is BRPOPped, every
 * priority list at once, highest first. Unlike PUB/SUB, what is pushed
 * while the connection is away waits in the list. On close the binding and
 * the lists go, as kombu deletes a reply queue once answered.
 *
 * Two connections: BRPOP blocks the reader, so close() unbinds on the other.
 */
import type { Redis } from 'ioredis';
import { bindingKey, bindingMember, PRIORITY_STEPS, priorityList } from './routing.js';
import { connectWatched, type WatchedConnection, type WatchedConnectionOptions } from './watched-connection.js';

export interface RedisQueueListenerOptions extends WatchedConnectionOptions {
  url: string;
  exchange: string;
  routingKey: string;
  queue: string;
  onMessage(queue: string, message: Buffer): void;
  /** Bound and popping, after each (re)connection. */
  onSubscribed(reconnect: boolean): void;
  onLost(error: Error): void;
  onReconnectScheduled(attempt: number, delayMs: number, error: Error): void;
}

/**
 * Seconds a BRPOP waits (kombu's): it returns that often to let a PING
 * through. A health check more frequent than that would find each PING
 * stuck behind a BRPOP and drop a sound connection, so the wait is then
 * shorter (a fraction, which Redis 6 and later accept).
 */
const popWaitSeconds = (healthCheckMs: number): number => Math.min(1, healthCheckMs / 2000);

export class RedisQueueListener {
  private reader: WatchedConnection | null = null;
  private writer: WatchedConnection | null = null;
  private listening = false;
  private closed = false;
  private attempts = 0;
  private popping: Promise<void> = Promise.resolve();
  private readonly lists: string[];
  private readonly member: string;

  constructor(private readonly options: RedisQueueListenerOptions) {
    // Highest priority first, as kombu's BRPOP orders them.
    this.lists = PRIORITY_STEPS.map((step) => priorityList(options.queue, step));
    this.member = bindingMember({ routingKey: options.routingKey, pattern: '', queue: options.queue });
  }

  /** Connects, binds and starts popping; rejects (BrokerError E_BROKER_CONNECT) when the first connection fails. */
  async start(): Promise<void> {
    const o = this.options;
    this.writer = await connectWatched(o.url, { ...o, name: `${o.name} binding` });
    try {
      this.reader = await connectWatched(o.url, o);
    } catch (error) {
      await quit(this.writer);
      this.writer = null;
      throw error;
    }
    const { client } = this.reader;
    client.on('close', () => {
      if (!this.listening) return;
      this.listening = false;
      if (!this.closed) o.onLost(this.reader?.lastError() ?? new Error('the Redis connection closed'));
    });
    client.on('reconnecting', (delayMs: number) => {
      this.attempts++;
      o.onReconnectScheduled(this.attempts, delayMs, this.reader?.lastError() ?? new Error('the Redis connection closed'));
    });
    client.on('ready', () => void this.listen(true));
    await this.listen(false);
  }

  get isSubscribed(): boolean {
    return this.listening;
  }

  /** Stops popping, removes the binding and the lists, and quits. */
  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    const { reader, writer } = this;
    this.reader = null;
    this.writer = null;
    // A BRPOP under way holds the reader until it times out: drop it instead.
    reader?.stop();
    reader?.client.disconnect();
    await this.popping;
    if (writer !== null) {
      await writer.client
        .multi()
        .srem(bindingKey(this.options.exchange), this.member)
        .del(...this.lists)
        .exec()
        .catch(() => {});
      await quit(writer);
    }
  }

  private async listen(reconnect: boolean): Promise<void> {
    const client = this.reader?.client;
    if (client === undefined || this.closed || this.listening) return;
    try {
      await client.sadd(bindingKey(this.options.exchange), this.member);
    } catch (error) {
      // The connection went again; its next 'ready' retries.
      if (!reconnect) throw error;
      return;
    }
    this.attempts = 0;
    this.listening = true;
    this.popping = this.pop(client);
    this.options.onSubscribed(reconnect);
  }

  private async pop(client: Redis): Promise<void> {
    while (this.listening && client.status === 'ready') {
      let popped: [Buffer, Buffer] | null;
      try {
        popped = await client.brpopBuffer(...this.lists, popWaitSeconds(this.options.healthCheckMs));
      } catch {
        // Lost: 'close' reports it and 'ready' starts popping again.
        return;
      }
      if (popped !== null) this.options.onMessage(this.options.queue, popped[1]);
    }
  }
}

async function quit(connection: WatchedConnection): Promise<void> {
  connection.stop();
  await connection.client.quit().catch(() => connection.client.disconnect());
}
