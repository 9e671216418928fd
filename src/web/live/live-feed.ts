/**
 * The monitor's live updates: one source of "something changed" events per
 * server process, shared by every page that has the stream open, and
 * running only while one does.
 *
 * PostgreSQL pushes stored results and periodic-task edits through the
 * process's LISTEN connection; everything else comes from one cheap poll
 * of the tables' markers. The periodic tasks' triggers notify whatever
 * wrote, so while LISTEN delivers their marker is left to it; results
 * stored by writers that do not notify (Python Celery workers, a backend
 * with notify: false) and the camera's snapshots are polled on every
 * database.
 */
import { printProblem } from '../../core/log-line.js';
import { layoutOption, type Layout } from '../../db/layout.js';
import type { Database } from '../../db/open.js';
import { BEAT_CHANNEL, listen, RESULT_CHANNEL, type Listening } from '../../db/pg-listener.js';
import { changedTopics, markersOf, markersSql, type LiveTopic, type Markers } from './markers.js';
import { SSE_HEADERS, sseComment, sseEvent, sseRetry } from './sse.js';

export interface LiveFeedOptions {
  /** How often the markers are read while a page listens. Default 1000 ms. */
  pollMs?: number;
  /** How often an idle stream gets a comment, so proxies keep it open. Default 15000 ms. */
  heartbeatMs?: number;
  /** Whose tables hold task results (see createHandler's `layout`). Default djcelery. */
  layout?: Layout;
}

const TOPICS: readonly LiveTopic[] = ['results', 'tasks', 'workers', 'periodic'];
/** What LISTEN carries whoever wrote (the triggers notify): the poll leaves it to LISTEN while it delivers. */
const PUSHED: ReadonlySet<LiveTopic> = new Set(['periodic']);
/** What a browser waits before reconnecting a dropped stream. */
const RETRY_MS = 2000;
/** Payload of an event that names nothing in particular: re-read the view. */
const ANY = '*';

const encoder = new TextEncoder();

export class LiveFeed {
  readonly #database: Database;
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #sql: string;
  #poller: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #listening: Listening | undefined;
  #markers: Markers | undefined;
  #polling = false;
  #failing = false;
  #closed = false;

  constructor(database: Database, options: LiveFeedOptions = {}) {
    this.#database = database;
    this.#pollMs = options.pollMs ?? 1000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#sql = markersSql(database, TOPICS, layoutOption(options.layout));
  }

  /** Pages listening now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** A text/event-stream response that lasts until the client leaves or close(); a HEAD gets the headers alone. */
  stream(request?: Request): Response {
    if (this.#closed) return new Response(null, { status: 503, headers: SSE_HEADERS });
    if (request?.method === 'HEAD') return new Response(null, { headers: SSE_HEADERS });
    let mine: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        mine = controller;
        // The first bytes send the headers: the page knows at once that it is connected.
        controller.enqueue(encoder.encode(sseRetry(RETRY_MS) + sseComment('connected')));
        this.#clients.add(controller);
        if (this.#clients.size === 1) this.#start();
      },
      cancel: () => {
        if (mine !== undefined) this.#leave(mine);
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  }

  /** Ends every stream (cleanly: the response completes) and stops the sources. Further streams answer 503. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const client of this.#clients) {
      try {
        client.close();
      } catch {
        // already cancelled by its reader
      }
    }
    this.#clients.clear();
    await this.#stop();
  }

  #leave(client: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.#clients.delete(client) && this.#clients.size === 0) void this.#stop();
  }

  #start(): void {
    this.#markers = undefined;
    this.#poller = setInterval(() => void this.#poll(), this.#pollMs);
    this.#heartbeat = setInterval(() => this.#send(sseComment('keep-alive')), this.#heartbeatMs);
    void this.#poll();
    const { target } = this.#database;
    if (target.provider !== 'postgresql') return;
    this.#listening = listen(target.connectionString, {
      onNotify: (channel, payload) => {
        if (channel === RESULT_CHANNEL) this.#send(sseEvent('results', payload === ANY ? ANY : idsOf(payload)));
        else if (channel === BEAT_CHANNEL) this.#send(sseEvent('periodic', ANY));
      },
      onLive: () => {},
    });
  }

  async #stop(): Promise<void> {
    clearInterval(this.#poller);
    clearInterval(this.#heartbeat);
    this.#poller = undefined;
    this.#heartbeat = undefined;
    const listening = this.#listening;
    this.#listening = undefined;
    await listening?.release();
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#poller === undefined) return;
    this.#polling = true;
    try {
      const [row] = await this.#database.sql.query(this.#sql);
      const markers = markersOf(row ?? {}, TOPICS);
      const before = this.#markers;
      this.#markers = markers;
      this.#failing = false;
      if (before === undefined || this.#poller === undefined) return;
      const pushed = this.#listening?.live === true;
      for (const topic of changedTopics(before, markers, TOPICS)) {
        if (!(pushed && PUSHED.has(topic))) this.#send(sseEvent(topic, ANY));
      }
    } catch (error) {
      // Once per outage: the pages keep their streams and catch up when the database answers again.
      if (!this.#failing) printProblem('warn', 'web', 'live updates could not read the database', error);
      this.#failing = true;
    } finally {
      this.#polling = false;
    }
  }

  #send(text: string): void {
    const chunk = encoder.encode(text);
    for (const client of this.#clients) client.enqueue(chunk);
  }
}

/** A result notification's ids as the event's data; anything unreadable becomes "re-read everything". */
function idsOf(payload: string): string {
  try {
    const ids: unknown = JSON.parse(payload);
    if (Array.isArray(ids)) return JSON.stringify(ids.filter((id): id is string => typeof id === 'string'));
  } catch {
    // not a list of ids
  }
  return ANY;
}
