// A real Python Celery 5.2.6 worker (with -E) running python/tasks.py, and
// a Python client that sends it tasks and revokes, for the interoperability
// tests; describeWithPythonCelery gates the suites that need one.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import { describeWithBroker, testBrokerUrl } from './broker.js';
import { describeWithRedis } from './redis.js';
import { missingServices, PYTHON } from './services.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const TASKS_DIR = fileURLToPath(new URL('./python/', import.meta.url));

/** `describeWithBroker` for suites that run real Python Celery (skipped outside CI when it is not installed). */
export const describeWithPythonCelery = missingServices().has('python-celery') ? describe.skip : describeWithBroker;

/** `describeWithRedis` for suites that run real Python Celery on a Redis broker. */
export const describeWithPythonCeleryOnRedis = missingServices().has('python-celery') ? describe.skip : describeWithRedis;

export interface PythonWorkerOptions {
  /** Default this run's vhost, read when the worker starts (a skipped suite may build one without a broker). */
  brokerUrl?: string;
  /** Nodename (-n); default a unique `py-<random>@test`. */
  name?: string;
  /** Queues (-Q), comma separated; default a unique queue, so no other test's tasks reach it. */
  queues?: string;
  /** A result backend URL (e.g. `rpc://`); default none: tests read outcomes from events, tables or the log. */
  resultBackend?: string;
  /** Start with -E (task events on); default true. */
  events?: boolean;
  /** The app module in python/ (-A); default `tasks`. */
  app?: string;
  /** More environment for the worker and its clients. */
  env?: Readonly<Record<string, string>>;
}

/** Broadcasts revokes from a Python client that is already running (PythonWorker.revoker). */
export interface Revoker extends AsyncDisposable {
  /** Resolves once the revoke is broadcast, as `app.control.revoke(id)` does. */
  revoke(taskId: string): Promise<void>;
}

/** apply_async options the tests send with. */
export interface SendOptions {
  countdown?: number;
  /** 0–9 on Redis (its own list per step), 0–255 on AMQP. */
  priority?: number;
  /** The task's id, instead of a new one. */
  task_id?: string;
}

/** A task as Python's AsyncResult read it; `group` holds the restored group's member ids. */
export type PythonResults = Record<string, { state: string; value: unknown; exc_type: string | null; exc_args: unknown[] | null; date_done: string }> & {
  group?: string[] | null;
};

const READY_TIMEOUT_MS = 30_000;
const WARM_SHUTDOWN_MS = 15_000;

export class PythonWorker implements AsyncDisposable {
  readonly name: string;
  readonly queue: string;
  private readonly stateDir = mkdtempSync(join(tmpdir(), 'prisma-celery-pyworker-'));
  private readonly logFile = join(this.stateDir, 'worker.log');
  private process: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(private readonly options: PythonWorkerOptions = {}) {
    const tag = randomBytes(4).toString('hex');
    this.name = options.name ?? `py-${tag}@test`;
    this.queue = options.queues ?? `py-${tag}`;
  }

  /** Celery reads its broker and result backend from these; without a backend the client waits for nothing. */
  private env(resultBackend?: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env, CELERY_BROKER_URL: this.options.brokerUrl ?? testBrokerUrl(), PYTHONPATH: TASKS_DIR };
    delete env.CELERY_RESULT_BACKEND;
    if (resultBackend) env.CELERY_RESULT_BACKEND = resultBackend;
    return env;
  }

  /** Resolves once the worker logged "ready"; rejects with its log if it exits or is not ready in time. */
  async start(): Promise<void> {
    if (this.process) return;
    const log = openSync(this.logFile, 'w');
    // One pool process, as in the captures: tasks run one at a time, in order.
    const args = ['-m', 'celery', '-A', this.options.app ?? 'tasks', 'worker', ...(this.options.events === false ? [] : ['-E']), '-l', 'info', '--concurrency', '1', '-n', this.name, '-Q', this.queue];
    // Detached: the worker leads its own process group, so stop() reaches its pool children too.
    const child = spawn(PYTHON, args, { env: this.env(this.options.resultBackend), detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    process.once('exit', () => this.killGroup());

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!/ ready\.$/m.test(this.log())) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Python worker exited while starting; its log:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`the Python worker was not ready after ${READY_TIMEOUT_MS} ms; its log:\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Warm shutdown (the worker sends worker-offline); SIGKILL to its process group after 15 s. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    child.kill('SIGTERM');
    const timer = new Promise<void>((resolve) => setTimeout(resolve, WARM_SHUTDOWN_MS).unref());
    await Promise.race([this.exited, timer]);
    this.killGroup(child);
  }

  private killGroup(child = this.process): void {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.stateDir, { recursive: true, force: true });
    }
  }

  /** What the worker printed so far. */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Sends `task` to this worker's queue from real Python Celery (send_task); resolves to the task id. */
  async publish(task: string, args: unknown[] = [], options: SendOptions = {}): Promise<string> {
    const { stdout } = await this.client('send', { task, args, options: { ...options, queue: this.queue } });
    return stdout.trim();
  }

  /** Binds this worker's queue to `exchange` as kombu declares a binding (on Redis: the _kombu.binding set). */
  async bind(exchange: string, type: 'direct' | 'topic', routingKey: string): Promise<void> {
    await this.client('bind', { queue: this.queue, exchange, exchange_type: type, routing_key: routingKey });
  }

  /** Broadcasts a revoke, as `app.control.revoke(id, terminate=…)` does. */
  async revoke(taskId: string, terminate = false): Promise<void> {
    await this.client('revoke', { task_id: taskId, terminate });
  }

  /**
   * A Python client started (Celery imported, broker connected) before it
   * is needed, that then broadcasts each revoke at once: for a revoke due
   * before a deadline, such as an ETA, on a machine where starting Python
   * takes seconds.
   */
  async revoker(): Promise<Revoker> {
    const child = spawn(PYTHON, [join(TASKS_DIR, 'client.py'), 'revoke-each', '{}'], { env: this.env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let answers = 0;
    const answered = async (what: string, timeoutMs: number): Promise<void> => {
      answers++;
      await waitFor(what, () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Python revoke client exited; its stderr:\n${err}`);
        return out.split('\n').filter((line) => line === 'ok').length >= answers;
      }, { timeoutMs, intervalMs: 20 });
    };
    try {
      await answered('the Python revoke client to connect', READY_TIMEOUT_MS);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return {
      revoke: async (taskId) => {
        child.stdin.write(`${taskId}\n`);
        await answered(`the revoke of ${taskId}`, 30_000);
      },
      [Symbol.asyncDispose]: async () => {
        child.stdin.end();
        const timer = new Promise<void>((resolve) => setTimeout(resolve, WARM_SHUTDOWN_MS).unref());
        await Promise.race([exited, timer]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }

  /**
   * What Python reads from the worker's result backend: each task through
   * AsyncResult(id).get(propagate=False), in order, waiting for those not
   * ready (up to `timeout` s each), and the group through GroupResult.restore.
   */
  async readResults(request: { task_ids: string[]; group_id?: string; timeout?: number }): Promise<PythonResults> {
    const { stdout } = await this.client('results', request, this.options.resultBackend);
    return JSON.parse(stdout) as PythonResults;
  }

  private client(action: 'send' | 'revoke' | 'bind' | 'results', request: object, resultBackend?: string): Promise<{ stdout: string }> {
    return run(PYTHON, [join(TASKS_DIR, 'client.py'), action, JSON.stringify(request)], { env: this.env(resultBackend), timeout: 30_000 });
  }
}
