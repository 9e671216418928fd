/**
 * The result backend on Redis, in Celery's own Redis backend layout
 * (redis-layout.ts): what Python workers with `result_backend = redis://…`
 * store is read and waited on here, and what is stored here Python's
 * AsyncResult reads. The same API as PrismaResultBackend (the
 * ResultBackend contract, and celery-node's through attachBackend).
 *
 * Stores apply the same precedence guard as the SQL backend, atomically:
 * the new value is decided from the value read and written only if the key
 * still holds it (a Lua compare-and-set), or decided again. Waits SUBSCRIBE
 * to the key's channel, as Celery's ResultConsumer does, before they read.
 */
import { printProblem } from '../core/log-line.js';
import { causeLine } from '../db/adapter-error.js';
import { withRetry } from '../db/transient.js';
import { ChannelSubscriber } from '../broker/redis/channel-subscriber.js';
import { isTransientRedisError } from '../broker/redis/fault.js';
import { RedisKeyStore, type CompareAndSet } from '../broker/redis/key-store.js';
import { BrokerError } from '../broker/errors.js';
import { parseRedisUrl, redactUrl } from '../broker/url.js';
import type { BackendGroupRecord, BackendTaskRecord, ResultBackend } from './contract.js';
import { BackendClosedError, BackendRedisError, InvalidArgumentError } from './errors.js';
import { registerHooks } from './hooks.js';
import { pendingMeta, type TaskMeta } from './meta.js';
import { ResultBackendBase } from './backend-base.js';
import type { BackendEvent } from './options.js';
import {
  decodeGroup,
  decodeStored,
  encodeGroup,
  groupKey,
  metaFromStored,
  nextValue,
  recordFromStored,
  taskIdOfChannel,
  taskKey,
} from './redis-layout.js';
import { resolveRedisOptions, type RedisResultBackendOptions, type ResolvedRedisOptions } from './redis-options.js';
import { buildWrite, checkId, type TaskDetails } from './task-write.js';
import type { TaskWrite } from './guard.js';
import { waitForReady, waitForReadyMeta, type WaitOptions } from './wait.js';
import { Wakeups } from './wakeups.js';

/** Compare-and-set rounds one store may take while other writers keep changing the key. */
const MAX_ROUNDS = 50;

export class RedisResultBackend extends ResultBackendBase implements ResultBackend {
  readonly #url: string;
  readonly #options: ResolvedRedisOptions;
  readonly #wakeups = new Wakeups();
  /** Stores under way, which close() and forget() wait for. */
  readonly #writing = new Set<Promise<unknown>>();
  #store: Promise<RedisKeyStore> | undefined;
  #started: RedisKeyStore | undefined;
  #subscriber: ChannelSubscriber | undefined;
  #closing: Promise<void> | undefined;

  /**
   * `url`: redis://, rediss:// or redis+socket:// as Celery's result_backend
   * takes it (the path is the database number). No I/O happens here;
   * start() — or the first call that needs Redis — connects.
   */
  constructor(url: string, options: RedisResultBackendOptions = {}) {
    super();
    if (typeof url !== 'string') throw new InvalidArgumentError('the Redis result backend needs a redis://, rediss:// or redis+socket:// URL');
    parseRedisUrl(url);
    this.#url = url;
    this.#options = resolveRedisOptions(options);
    registerHooks(this, {
      report: (event) => this.#emit(event),
      readyMeta: (taskId, waitOptions) => this.#waiting(taskId, (id) => this.#waitMeta(id, waitOptions)),
    });
  }

  /** Connects (failing at once, with why, when Redis cannot be used). Safe to call again. */
  async start(): Promise<void> {
    await this.#ready();
  }

  /** Waits for stores already accepted, then closes the connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** result_expires in ms (0: keys never expire). */
  get expiresMs(): number {
    return this.#options.expiresMs;
  }

  /**
   * Stores a task's state: `celery-task-meta-<id>` set with the expiry and
   * PUBLISHed. Resolves once Redis has it. A late STARTED does not undo a
   * SUCCESS (whoever wrote it); it only adds what the stored value lacks.
   */
  async storeResult(taskId: string, result: unknown, state: string, details: TaskDetails = {}): Promise<void> {
    if (this.#closing) throw new BackendClosedError();
    const built = buildWrite(taskId, state, result, details, this.#options, new Date());
    const writing = this.#ready().then((store) => {
      for (const event of built.events) this.#emit(event);
      return this.#write(store, built.write);
    });
    this.#writing.add(writing);
    try {
      await writing;
    } finally {
      this.#writing.delete(writing);
    }
    if (built.error) throw built.error;
  }

  /** Celery's meta; an unknown (or expired) id reads as PENDING. */
  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    const id = checkId('task', taskId);
    const value = await this.#get('read', taskKey(id));
    return value === null ? pendingMeta(id) : metaFromStored(id, decodeStored(`task ${id}`, value));
  }

  /** Everything stored about a task (with Celery's result_extended fields when the writer stored them), or null. */
  async getTask(taskId: string): Promise<BackendTaskRecord | null> {
    const id = checkId('task', taskId);
    const value = await this.#get('read', taskKey(id));
    return value === null ? null : recordFromStored(id, decodeStored(`task ${id}`, value));
  }

  /** The result once the task succeeds; rejects with TaskFailedError, TaskTimeoutError or the signal's reason. */
  waitFor(taskId: string, options: WaitOptions = {}): Promise<unknown> {
    return this.#waiting(taskId, (id) =>
      waitForReady(() => this.getTaskMeta(id), id, options, this.#options.pollInterval, this.#wakeups),
    );
  }

  /** Deletes the task's key (after any store of this backend still on its way). */
  async forget(taskId: string): Promise<void> {
    const id = checkId('task', taskId);
    const store = await this.#ready();
    await Promise.allSettled([...this.#writing]);
    await this.#withRetry('forget', () => store.del(taskKey(id)));
  }

  /** Saves a group as Celery does (`celery-taskset-meta-<id>`, with the expiry, PUBLISHed). */
  async saveGroup(groupId: string, taskIds: readonly string[]): Promise<void> {
    const id = checkId('group', groupId);
    if (!Array.isArray(taskIds)) throw new InvalidArgumentError('a group\'s task ids must be an array of strings');
    const members = taskIds.map((taskId) => checkId('task', taskId));
    const store = await this.#ready();
    const value = encodeGroup(id, members, new Date());
    await this.#withRetry('save group', () => store.setAndPublish(groupKey(id), value, this.#options.expiresMs));
  }

  async restoreGroup(groupId: string): Promise<BackendGroupRecord | null> {
    const id = checkId('group', groupId);
    const value = await this.#get('restore group', groupKey(id));
    return value === null ? null : decodeGroup(id, value);
  }

  async deleteGroup(groupId: string): Promise<boolean> {
    const id = checkId('group', groupId);
    const store = await this.#ready();
    return (await this.#withRetry('delete group', () => store.del(groupKey(id)))) > 0;
  }

  #ready(): Promise<RedisKeyStore> {
    if (this.#closing) return Promise.reject(new BackendClosedError());
    this.#store ??= this.#open().catch((error: unknown) => {
      this.#store = undefined; // a later call may try again (Redis may come up)
      throw error;
    });
    return this.#store;
  }

  async #open(): Promise<RedisKeyStore> {
    try {
      this.#started = await RedisKeyStore.open(this.#url, {
        name: 'prisma-celery result backend',
        timeoutMs: this.#options.connectTimeoutMs,
        log: () => {}, // a lost connection shows in the calls it fails (retried, then rejected)
      });
      return this.#started;
    } catch (error) {
      const transient = !(error instanceof BrokerError) || error.fault === undefined || ['unreachable', 'timeout'].includes(error.fault.kind);
      throw new BackendRedisError(`the result backend ${causeLine(error)}`, { cause: error, transient });
    }
  }

  async #get(operation: string, key: string): Promise<Buffer | null> {
    const store = await this.#ready();
    return this.#withRetry(operation, () => store.get(key));
  }

  /** Compare-and-set rounds until the key holds what the guard decides (or already did). */
  async #write(store: RedisKeyStore, write: TaskWrite): Promise<void> {
    const key = taskKey(write.taskId);
    const ttlMs = this.#options.expiresMs;
    // The first round assumes a new task: one round trip when it is.
    let expected: Buffer | null = null;
    let value: string | null = nextValue(null, write);
    for (let round = 0; round < MAX_ROUNDS && value !== null; round++) {
      const [held, next]: [Buffer | null, string] = [expected, value];
      const outcome: CompareAndSet = await this.#withRetry('store', () => store.compareAndSet(key, held, next, ttlMs));
      if (outcome.written) {
        this.#wakeups.wake([write.taskId]);
        return;
      }
      expected = outcome.current;
      value = nextValue(expected === null ? null : decodeStored(`task ${write.taskId}`, expected), write);
    }
    if (value === null) return;
    throw new BackendRedisError(`store failed: task ${write.taskId} was changed by other writers ${MAX_ROUNDS} times while it was stored`, {
      cause: undefined,
      transient: true,
    });
  }

  /** Runs `wait` for a checked id while the key's channel is subscribed (subscribed before the first read). */
  async #waiting<T>(taskId: string, wait: (id: string) => Promise<T>): Promise<T> {
    const id = checkId('task', taskId);
    await this.#ready();
    const subscriber = this.#channels();
    const channel = taskKey(id);
    await subscriber.acquire(channel);
    try {
      return await wait(id);
    } finally {
      subscriber.release(channel);
    }
  }

  #waitMeta(id: string, options: WaitOptions): Promise<TaskMeta> {
    return waitForReadyMeta(() => this.getTaskMeta(id), id, options, this.#options.pollInterval, this.#wakeups);
  }

  /** The SUBSCRIBE connection, from the first wait on (a backend that only stores never opens it). */
  #channels(): ChannelSubscriber {
    const wakeups = this.#wakeups;
    this.#subscriber ??= new ChannelSubscriber({
      url: this.#url,
      name: 'prisma-celery result waits',
      onMessage: (channel) => {
        const id = taskIdOfChannel(channel);
        if (id !== undefined) wakeups.wake([id]);
      },
      onLive: (live) => wakeups.setPushed(live),
      onFailure: (error) => this.#emit({ type: 'subscribe-failed', error }),
    });
    return this.#subscriber;
  }

  async #shutdown(): Promise<void> {
    await Promise.allSettled([...this.#writing]);
    await this.#subscriber?.close();
    const store = await this.#store?.catch(() => undefined);
    await store?.close();
  }

  /**
   * Runs a command with the retry policy; when Redis is down after that,
   * waits for the connection to come back (up to waitForRedisMs) and goes
   * again, so stores made during an outage land once it ends.
   */
  async #withRetry<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const { retry } = this.#options;
    const deadline = Date.now() + retry.waitForRedisMs;
    let waited = false;
    for (;;) {
      try {
        return await withRetry(run, retry, (notice) => this.#emit({ type: 'retry', operation, ...notice }), Math.random, isTransientRedisError);
      } catch (error) {
        const transient = isTransientRedisError(error);
        const store = this.#started;
        if (transient && store !== undefined && !store.ready && Date.now() < deadline) {
          if (await store.untilReady(deadline)) continue;
          waited = true;
        }
        const after = waited ? ` after waiting ${retry.waitForRedisMs / 1000} s for Redis at ${redactUrl(this.#url)}` : transient ? ` after ${retry.attempts} attempts` : '';
        throw new BackendRedisError(`${operation} failed${after}: ${causeLine(error)}`, { cause: error, transient });
      }
    }
  }

  #emit(event: BackendEvent): void {
    try {
      this.#options.onEvent(event);
    } catch (error) {
      printProblem('error', 'backend', 'the onEvent hook threw', error);
    }
  }
}
