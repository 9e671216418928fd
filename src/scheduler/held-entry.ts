// A periodic task as beat holds it between runs. A beat may hold a million
// of them, so each keeps its row's JSON as the text it was read as and its
// times as numbers, and shares what rows share (schedules, task names,
// empty lists); the Entry, with its JSON parsed, is made again only when a
// run is sent or someone asks. No I/O.
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';
import type { RunToken } from './beat-store.js';
import { afterRun, type Entry, type EntryRoute, type EntryTimes, type PeriodicTaskRow, type RowVersion } from './entry.js';
import type { AnySchedule } from './schedules/index.js';

/** Distinct texts shared; beyond that the pool starts again (a table with more is not sharing much). */
const MAX_SHARED = 10_000;
const NO_ROUTE: EntryRoute = Object.freeze({});

/**
 * One copy of each short text many rows repeat: a database driver gives
 * every row its own copy of "tasks.add" or "{}".
 */
export class SharedTexts {
  readonly #texts = new Map<string, string>();

  get(text: string): string {
    const known = this.#texts.get(text);
    if (known !== undefined) return known;
    if (this.#texts.size >= MAX_SHARED) this.#texts.clear();
    this.#texts.set(text, text);
    return text;
  }
}

/** The JSON texts of a row, as entryFromRow read them (a blank text is the empty list or object). */
type Texts = Pick<PeriodicTaskRow, 'args' | 'kwargs' | 'headers'>;

const time = (date: Date | null): number | null => (date === null ? null : date.getTime());
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export class HeldEntry implements EntryTimes {
  readonly id: number;
  readonly name: string;
  readonly schedule: AnySchedule;
  readonly oneOff: boolean;
  readonly totalRunCount: number;
  readonly changeVersion: RowVersion;
  readonly #task: string;
  readonly #args: string;
  readonly #kwargs: string;
  readonly #headers: string;
  readonly #route: EntryRoute;
  readonly #priority: number | null;
  readonly #expireSeconds: number | null;
  readonly #expires: number | null;
  readonly #startTime: number | null;
  readonly #dateChanged: number;
  readonly #lastRun: number | null;
  /** The run token, unless it is the Date of the last run itself (most are: then it is not kept twice). */
  readonly #token: RunToken | undefined;

  private constructor(entry: Entry, texts: Texts, token: RunToken, shared: SharedTexts) {
    const json = (text: string, empty: string) => (text.trim() === '' ? empty : text.length <= 2 ? shared.get(text) : text);
    this.id = entry.id;
    this.name = entry.name;
    this.schedule = entry.schedule;
    this.oneOff = entry.oneOff;
    this.totalRunCount = entry.totalRunCount;
    this.changeVersion = entry.changeVersion;
    this.#task = shared.get(entry.task);
    this.#args = json(texts.args, '[]');
    this.#kwargs = json(texts.kwargs, '{}');
    this.#headers = shared.get(json(texts.headers, '{}'));
    this.#route = Object.keys(entry.route).length === 0 ? NO_ROUTE : entry.route;
    this.#priority = entry.priority;
    this.#expireSeconds = entry.expireSeconds;
    this.#expires = time(entry.expires);
    this.#startTime = time(entry.startTime);
    this.#dateChanged = entry.dateChanged.getTime();
    this.#lastRun = time(entry.lastRunAt);
    this.#token = token instanceof Date && token.getTime() === this.#lastRun ? undefined : token;
  }

  /** `entry` as validated from `row` (entryFromRow), with the row's run token. */
  static of(entry: Entry, row: Texts, token: RunToken, shared: SharedTexts): HeldEntry {
    return new HeldEntry(entry, row, token, shared);
  }

  get expires(): Date | null {
    return date(this.#expires);
  }

  get startTime(): Date | null {
    return date(this.#startTime);
  }

  get dateChanged(): Date {
    return new Date(this.#dateChanged);
  }

  get lastRunAt(): Date | null {
    return date(this.#lastRun);
  }

  /** last_run_at as the claim compares it. */
  get token(): RunToken {
    return this.#token === undefined ? date(this.#lastRun) : this.#token;
  }

  /** The entry with its JSON parsed. */
  entry(): Entry {
    return {
      id: this.id,
      name: this.name,
      task: this.#task,
      schedule: this.schedule,
      args: JSON.parse(this.#args) as JsonValue[],
      kwargs: JSON.parse(this.#kwargs) as JsonObject,
      headers: JSON.parse(this.#headers) as JsonObject,
      route: this.#route,
      priority: this.#priority,
      expires: this.expires,
      expireSeconds: this.#expireSeconds,
      oneOff: this.oneOff,
      startTime: this.startTime,
      dateChanged: this.dateChanged,
      changeVersion: this.changeVersion,
      lastRunAt: this.lastRunAt,
      totalRunCount: this.totalRunCount,
    };
  }

  /** The entry after its run at `at` was claimed, holding the claim's token. */
  ran(at: Date, token: RunToken, shared: SharedTexts): HeldEntry {
    return new HeldEntry(afterRun(this.entry(), at), { args: this.#args, kwargs: this.#kwargs, headers: this.#headers }, token, shared);
  }
}
