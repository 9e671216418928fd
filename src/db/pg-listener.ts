/**
 * One LISTEN connection per PostgreSQL database per process, shared by
 * every part that wants the database's notifications (result waiters,
 * beat). It lives outside Prisma's pool: a pooled connection goes back to
 * the pool between statements, and a LISTEN must stay on its session.
 *
 * A subscriber is told when notifications start or stop flowing (`onLive`):
 * while they do not (connecting, after a drop, or for good when the server
 * never delivers them, as behind PgBouncer in transaction mode) it must
 * poll, and on every start it must re-check what it waits for, since a
 * notification sent while the connection was down is lost.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { printProblem } from '../core/log-line.js';

export interface ListenSubscriber {
  /** A notification on one of the channels the listener was made for. */
  onNotify(channel: string, payload: string): void;
  /** Notifications started (true) or stopped (false) flowing. */
  onLive(live: boolean): void;
}

export interface Listening {
  /** Whether notifications flow now. */
  readonly live: boolean;
  /** Stops delivering to this subscriber; the connection closes with its last subscriber. */
  release(): Promise<void>;
}

/** Results made ready (payload: a JSON array of task or group ids, or `*` for "re-check everything"). */
export const RESULT_CHANNEL = 'prisma_celery_result';
/** A periodic task, its schedule or the change marker changed (the triggers send it; no payload). */
export const BEAT_CHANNEL = 'prisma_celery_beat';
const CHANNELS = [RESULT_CHANNEL, BEAT_CHANNEL];
/** The listening connection's application_name, so it can be told apart in pg_stat_activity. */
export const LISTENER_NAME = 'prisma-celery listen';

/** How long the self-addressed test notification may take before LISTEN is judged not to work. */
const PROBE_MS = 3000;
const MIN_RECONNECT_MS = 100;
const MAX_RECONNECT_MS = 5000;

class SharedListener {
  readonly #connectionString: string;
  readonly #subscribers = new Set<ListenSubscriber>();
  readonly #onEmpty: () => void;
  #client: pg.Client | undefined;
  #live = false;
  #closed = false;
  #unsupported = false;
  #delay = MIN_RECONNECT_MS;
  #timer: NodeJS.Timeout | undefined;
  #probing: { token: string; arrived: () => void } | undefined;

  constructor(connectionString: string, onEmpty: () => void) {
    this.#connectionString = connectionString;
    this.#onEmpty = onEmpty;
    void this.#connect();
  }

  get live(): boolean {
    return this.#live;
  }

  add(subscriber: ListenSubscriber): Listening {
    this.#subscribers.add(subscriber);
    const isLive = (): boolean => this.#live;
    return {
      get live() {
        return isLive();
      },
      release: async () => {
        if (!this.#subscribers.delete(subscriber) || this.#subscribers.size > 0) return;
        await this.#close();
      },
    };
  }

  async #connect(): Promise<void> {
    if (this.#closed || this.#unsupported) return;
    const client = new pg.Client({ connectionString: this.#connectionString, keepAlive: true, application_name: LISTENER_NAME });
    this.#client = client;
    client.on('notification', (message) => this.#deliver(message.channel, message.payload ?? ''));
    client.on('error', () => this.#dropped(client));
    client.on('end', () => this.#dropped(client));
    try {
      await client.connect();
    } catch {
      this.#dropped(client);
      return;
    }
    // The connection never keeps the process alive by itself: a backend nobody
    // closed must not stop a script from exiting. Waiters hold it with timers of their own.
    (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    try {
      for (const channel of CHANNELS) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      // The server answered with an error: LISTEN is not available here (a pooler or proxy refusing it).
      if (client === this.#client && !this.#closed && answered(error)) {
        this.#giveUp(`LISTEN failed (${firstLine(error)})`);
      } else this.#dropped(client);
      return;
    }
    const probe = await this.#probe(client);
    if (client !== this.#client || this.#closed) return;
    if (probe === 'failed') {
      this.#dropped(client);
      return;
    }
    if (probe === 'silent') {
      this.#giveUp('notifications sent to this connection never arrive');
      return;
    }
    this.#delay = MIN_RECONNECT_MS;
    this.#setLive(true);
  }

  /** Sends itself a notification: a pooler in transaction mode accepts LISTEN but never delivers. */
  async #probe(client: pg.Client): Promise<'arrived' | 'silent' | 'failed'> {
    const token = `probe:${randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<'arrived' | 'silent'>((resolve) => {
      this.#probing = { token, arrived: () => resolve('arrived') };
      timer = setTimeout(() => resolve('silent'), PROBE_MS).unref();
    });
    try {
      await client.query('SELECT pg_notify($1, $2)', [RESULT_CHANNEL, token]);
      return await arrived;
    } catch {
      return 'failed'; // the connection, not LISTEN: connect again
    } finally {
      clearTimeout(timer);
      this.#probing = undefined;
    }
  }

  #deliver(channel: string, payload: string): void {
    if (this.#probing !== undefined && payload === this.#probing.token) {
      this.#probing.arrived();
      return;
    }
    if (!this.#live) return;
    for (const subscriber of this.#subscribers) subscriber.onNotify(channel, payload);
  }

  #dropped(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    client.removeAllListeners('end');
    client.on('error', () => {});
    void client.end().catch(() => {});
    this.#setLive(false);
    if (this.#closed || this.#unsupported) return;
    this.#timer = setTimeout(() => void this.#connect(), this.#delay).unref();
    this.#delay = Math.min(this.#delay * 2, MAX_RECONNECT_MS);
  }

  #giveUp(why: string): void {
    this.#unsupported = true;
    withoutNotifications.add(this.#connectionString);
    printProblem('warn', 'notify', `${why}: waiting by polling instead (set notify: false to skip LISTEN)`);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      client.removeAllListeners('end');
      client.on('error', () => {});
      void client.end().catch(() => {});
    }
    this.#setLive(false);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    for (const subscriber of this.#subscribers) subscriber.onLive(live);
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#onEmpty();
    clearTimeout(this.#timer);
    this.#setLive(false);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.removeAllListeners('end');
    client.on('error', () => {});
    await client.end().catch(() => {});
  }
}

/** An error the server answered with (a SQLSTATE outside connection trouble and shutdown), not a lost connection. */
const answered = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57|53)/.test(code);
};

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

const shared = new Map<string, SharedListener>();
/** Databases whose LISTEN was found not to work: not tried again in this process (and not said again). */
const withoutNotifications = new Set<string>();

/**
 * Listens on the package's channels of the database `connectionString`
 * names, through the process's one connection to it. No I/O is awaited:
 * the connection is made in the background and `onLive(true)` says when
 * it listens.
 */
export function listen(connectionString: string, subscriber: ListenSubscriber): Listening {
  if (withoutNotifications.has(connectionString)) return { live: false, release: async () => {} };
  const key = connectionString;
  let listener = shared.get(key);
  if (listener === undefined) {
    const made = new SharedListener(connectionString, () => {
      if (shared.get(key) === made) shared.delete(key);
    });
    listener = made;
    shared.set(key, made);
  }
  const listening = listener.add(subscriber);
  if (listener.live) subscriber.onLive(true);
  return listening;
}
