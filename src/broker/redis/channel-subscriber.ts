/**
 * One SUBSCRIBE connection for a changing set of channels, each held by any
 * number of callers (counted: the channel is subscribed while one holds
 * it). acquire() resolves once the channel is subscribed, so a caller that
 * reads after it cannot miss a PUBLISH that follows the read. The
 * connection is opened on the first acquire, PINGed (watched-connection),
 * and resubscribes everything after a reconnect before `onLive(true)`
 * says so; while it is down (`onLive(false)`, or it could not be opened:
 * it is tried again each second while channels are held) acquire resolves
 * at once and callers must poll.
 */
import { connectWatched, type WatchedConnection } from './watched-connection.js';

export interface ChannelSubscriberOptions {
  url: string;
  /** Shown by CLIENT LIST. */
  name: string;
  /** PING interval in ms. Default 30000. */
  healthCheckMs?: number;
  /** A message arrived on a subscribed channel. */
  onMessage(channel: string, message: Buffer): void;
  /** Whether messages flow now; each change may have let messages go by. */
  onLive(live: boolean): void;
  /** The connection could not be opened (callers poll); said once until an open succeeds. */
  onFailure(error: unknown): void;
}

/** After a failed open, acquires do not try again for this long. */
const REOPEN_AFTER_MS = 1000;

export class ChannelSubscriber {
  readonly #options: ChannelSubscriberOptions;
  readonly #holders = new Map<string, number>();
  #connection: Promise<WatchedConnection | null> | undefined;
  #failedAt = -Infinity;
  /** Whether the last open failed (reported once until one succeeds). */
  #failing = false;
  #live = false;
  #closed = false;

  constructor(options: ChannelSubscriberOptions) {
    this.#options = options;
  }

  get live(): boolean {
    return this.#live;
  }

  /** Holds `channel`; resolves once it is subscribed, or at once while the connection is down. */
  async acquire(channel: string): Promise<void> {
    const held = this.#holders.get(channel) ?? 0;
    this.#holders.set(channel, held + 1);
    const connection = await this.#connect();
    if (connection === null || held > 0 || !this.#live) return;
    // A failure here means the connection went: its close reports it, and its next 'ready' subscribes again.
    await connection.client.subscribe(channel).catch(() => {});
  }

  release(channel: string): void {
    const held = this.#holders.get(channel) ?? 0;
    if (held > 1) {
      this.#holders.set(channel, held - 1);
      return;
    }
    this.#holders.delete(channel);
    void this.#connection?.then((connection) => {
      if (connection !== null && this.#live && !this.#holders.has(channel)) connection.client.unsubscribe(channel).catch(() => {});
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = await this.#connection;
    this.#connection = undefined;
    this.#setLive(false);
    if (connection === null || connection === undefined) return;
    connection.stop();
    await connection.client.quit().catch(() => connection.client.disconnect());
  }

  #connect(): Promise<WatchedConnection | null> {
    if (this.#connection === undefined && !this.#closed && Date.now() - this.#failedAt >= REOPEN_AFTER_MS) {
      this.#connection = this.#open();
    }
    return this.#connection ?? Promise.resolve(null);
  }

  async #open(): Promise<WatchedConnection | null> {
    const o = this.#options;
    let connection: WatchedConnection;
    try {
      connection = await connectWatched(o.url, { name: o.name, healthCheckMs: o.healthCheckMs ?? 30_000 });
    } catch (error) {
      this.#failedAt = Date.now();
      this.#connection = undefined;
      if (!this.#failing) o.onFailure(error);
      this.#failing = true;
      // Callers holding channels poll meanwhile; try again for them, not only for the next acquire.
      setTimeout(() => {
        if (this.#holders.size > 0) void this.#connect();
      }, REOPEN_AFTER_MS).unref();
      return null;
    }
    this.#failing = false;
    const { client } = connection;
    client.on('messageBuffer', (channel: Buffer, message: Buffer) => o.onMessage(channel.toString('utf8'), message));
    client.on('close', () => this.#setLive(false));
    client.on('ready', () => void this.#resubscribe(connection));
    await this.#resubscribe(connection);
    return connection;
  }

  /** Subscribes every held channel (after the first connect or a reconnect), then says messages flow. */
  async #resubscribe(connection: WatchedConnection): Promise<void> {
    if (this.#closed) return;
    const channels = [...this.#holders.keys()];
    try {
      if (channels.length > 0) await connection.client.subscribe(...channels);
    } catch {
      return; // the connection went again; its next 'ready' comes back here
    }
    this.#setLive(true);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#options.onLive(live);
  }
}
