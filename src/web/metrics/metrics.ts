/**
 * Metrics: the Prometheus text that `GET /metrics` answers, for apps that
 * serve it themselves too. Table and broker figures are read at most every
 * refresh interval (metrics/refreshing.ts), so a scrape never waits on a
 * big count and any number of scrapers cost the database one read; what
 * this process counts (a camera, a result backend) is read at each scrape.
 */
import { Registry, type Metric } from 'prom-client';
import type { QueueStats } from '../../broker/queue-stats.js';
import { causeLine } from '../../db/adapter-error.js';
import { databaseFault } from '../../db/fault.js';
import type { Database } from '../../db/open.js';
import { MetricsError } from '../errors.js';
import { knownQueues } from '../monitor/queues.js';
import type { Liveness } from '../monitor/workers.js';
import { within } from '../options.js';
import {
  BACKEND_FAMILIES,
  BROKER_FAMILIES,
  CAMERA_FAMILIES,
  TABLE_FAMILIES,
  beatLagSamples,
  beatTickSamples,
  queueSamples,
  resultSamples,
  runtimeSamples,
  taskSamples,
  workerSamples,
  type BackendCounts,
  type BrokerFigures,
  type CameraCounts,
  type Family,
  type Sample,
} from './families.js';
import { Refreshing } from './refreshing.js';
import { readTableFigures, type TableFigures } from './table-reads.js';

export interface MetricsOptions {
  /** The tables' database: the task, result, worker and beat families. Without it only the families below are served. */
  database?: Database;
  /** Counts the queues' messages and consumers (createQueueStats), which you keep owning: the celery_queue_* families. */
  queueStats?: QueueStats;
  /** Queues always reported, beside those the tables name (recent results, periodic tasks). Default ['celery']. */
  queues?: readonly string[];
  /** A camera running in this process (a started Camera): its counters. */
  camera?: { stats(): CameraCounts };
  /** The result backend of this process (PrismaResultBackend): its counters. */
  backend?: { stats(): BackendCounts };
  /** Seconds between the workers' heartbeats, as for the monitor. Default 2; 0.1–3600. */
  heartbeatFreq?: number;
  /** Seconds the camera may take to write a heartbeat it received (its freq plus one). Default 2; 0.01–3600. */
  cameraFreq?: number;
  /** Seconds back the runtime histogram looks (tasks finished since). Default 300; 1–86400. */
  runtimeWindow?: number;
  /**
   * Seconds the table and broker figures are served before they are read
   * again (and at least ten times what the last read took). Default 5; 0–3600.
   */
  refreshInterval?: number;
  /** The clock. Default: the system's. */
  now?: () => Date;
}

/** A scrape's answer: the body and the Content-Type to send it with. */
export interface MetricsText {
  readonly contentType: string;
  readonly text: string;
}

interface Figures {
  readonly tables: TableFigures | null;
  readonly broker: BrokerFigures | null;
}

/** How long a scrape waits for figures being read before it serves the previous ones. */
const WAIT_MS = 40;
/**
 * SQLite's driver blocks the process while it reads (about a second at a
 * million rows): a scrape that finds the figures stale is answered at once
 * and the read starts this much later, when no scrape is waiting on it.
 */
const SQLITE_READ_DELAY_MS = 100;
/** Previous figures are served at most this long past their refresh interval; after that a scrape waits for the read. */
const MAX_STALE_MS = 60_000;
/** Celery's task_default_queue. */
const DEFAULT_QUEUES = ['celery'];

/** A family whose samples are computed when the registry is asked (the shape prom-client formats). */
class ComputedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: Family['type'];
  readonly aggregator = 'sum';
  readonly #samples: () => Promise<Sample[]> | Sample[];

  constructor(family: Family, samples: () => Promise<Sample[]> | Sample[]) {
    this.name = family.name;
    this.help = family.help;
    this.type = family.type;
    this.#samples = samples;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: await this.#samples() };
  }
}

export class Metrics {
  /** The prom-client registry holding the families: merge it with your own (Registry.merge) to serve both from one endpoint. */
  readonly registry = new Registry();
  readonly #figures: Refreshing<Figures>;
  readonly #now: () => Date;

  /** No I/O here: the first scrape reads. */
  constructor(options: MetricsOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Metrics needs an options object');
    const { database, queueStats, camera, backend } = options;
    const liveness: Liveness = {
      heartbeatFreq: within('heartbeatFreq', options.heartbeatFreq ?? 2, 0.1, 3600, 'seconds'),
      cameraFreq: within('cameraFreq', options.cameraFreq ?? 2, 0.01, 3600, 'seconds'),
    };
    const windowMs = within('runtimeWindow', options.runtimeWindow ?? 300, 1, 86_400, 'seconds') * 1000;
    const refreshMs = within('refreshInterval', options.refreshInterval ?? 5, 0, 3600, 'seconds') * 1000;
    const configured = options.queues ?? DEFAULT_QUEUES;
    this.#now = options.now ?? (() => new Date());

    this.#figures = new Refreshing(
      async (): Promise<Figures> => {
        const now = this.#now();
        const tables = database === undefined ? null : await readTables(database, new Date(now.getTime() - windowMs));
        const queues = database === undefined ? [...configured] : (await knownQueues(database, configured)).queues;
        return { tables, broker: queueStats === undefined ? null : await readBroker(queueStats, queues) };
      },
      {
        minIntervalMs: refreshMs,
        ...(database?.provider === 'sqlite' ? { waitMs: 0, startDelayMs: SQLITE_READ_DELAY_MS } : { waitMs: WAIT_MS }),
        maxStaleMs: MAX_STALE_MS,
        now: () => this.#now().getTime(),
      },
    );

    const tables = async (): Promise<TableFigures> => (await this.#figures.get()).value.tables as TableFigures;
    const broker = async (): Promise<BrokerFigures> => (await this.#figures.get()).value.broker as BrokerFigures;
    const add = (family: Family, samples: () => Promise<Sample[]> | Sample[]): void =>
      this.registry.registerMetric(new ComputedFamily(family, samples) as unknown as Metric);

    if (database !== undefined) {
      add(TABLE_FAMILIES.tasks, async () => taskSamples(await tables()));
      add(TABLE_FAMILIES.runtime, async () => runtimeSamples(await tables()));
      add(TABLE_FAMILIES.workersUp, async () => workerSamples(await tables(), this.#now(), liveness));
      add(TABLE_FAMILIES.beatTick, async () => beatTickSamples(await tables()));
      add(TABLE_FAMILIES.beatLag, async () => beatLagSamples(await tables()));
      add(TABLE_FAMILIES.results, async () => resultSamples(await tables()));
    }
    if (queueStats !== undefined) {
      add(BROKER_FAMILIES.messages, async () => queueSamples(await broker(), 'messages'));
      add(BROKER_FAMILIES.consumers, async () => queueSamples(await broker(), 'consumers'));
      add(BROKER_FAMILIES.up, async () => [{ value: (await broker()).up ? 1 : 0 }]);
    }
    if (database !== undefined || queueStats !== undefined) {
      const timed = async () => this.#figures.get();
      add(TABLE_FAMILIES.collected, async () => [{ value: (await timed()).at / 1000 }]);
      add(TABLE_FAMILIES.collectDuration, async () => [{ value: (await timed()).tookMs / 1000 }]);
    }
    if (camera !== undefined) {
      add(CAMERA_FAMILIES.events, () => [{ value: camera.stats().events }]);
      add(CAMERA_FAMILIES.dropped, () => [{ value: camera.stats().changesDropped }]);
      add(CAMERA_FAMILIES.snapshotFailures, () => [{ value: camera.stats().snapshotFailures }]);
      add(CAMERA_FAMILIES.pending, () => [{ value: camera.stats().pendingTasks }]);
      add(CAMERA_FAMILIES.oldestPending, () => [{ value: camera.stats().oldestPendingMs / 1000 }]);
      add(CAMERA_FAMILIES.slowSnapshots, () => [{ value: camera.stats().slowSnapshots }]);
    }
    if (backend !== undefined) {
      add(BACKEND_FAMILIES.stores, () => [{ value: backend.stats().stores }]);
      add(BACKEND_FAMILIES.storeErrors, () => [{ value: backend.stats().storeErrors }]);
    }
  }

  /** The Content-Type of the text: Prometheus' text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Every family as Prometheus text. Rejects with MetricsError
   * (E_METRICS_UNAVAILABLE) when the database does not answer; a broker
   * that does not answer only empties the queue families (celery_broker_up 0).
   */
  async metrics(): Promise<MetricsText> {
    try {
      return { contentType: this.contentType, text: await this.registry.metrics() };
    } catch (error) {
      if (error instanceof MetricsError) throw error;
      throw new MetricsError(`metrics could not be read: ${causeLine(error)}`, { cause: error });
    }
  }
}

async function readTables(database: Database, since: Date): Promise<TableFigures> {
  try {
    return await readTableFigures(database, since);
  } catch (error) {
    const fault = databaseFault(error);
    const why =
      fault?.kind === 'no-tables'
        ? `the tables are not migrated (${causeLine(error)}): run \`prisma-celery migrate deploy\``
        : `the database did not answer: ${causeLine(error)}`;
    throw new MetricsError(`metrics unavailable: ${why}`, { cause: error });
  }
}

async function readBroker(stats: QueueStats, queues: readonly string[]): Promise<BrokerFigures> {
  try {
    return { depths: await stats.depths(queues), up: true };
  } catch {
    // The broker's own log says why; the scrape still serves the tables' families.
    return { depths: [], up: false };
  }
}
