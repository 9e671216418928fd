// A periodic task as beat holds it between runs. A beat may hold a million
// of them, so each keeps its row's JSON as the text it was read as and its
// times as numbers, and shares what rows share (schedules, task names,
// empty lists); the Entry, with its JSON parsed, is made again only when a
// run is sent or someone asks. No I/O.
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';
import type { RunToken } from './beat-store.js';
import type { Entry, EntryRoute, EntryTimes, PeriodicTaskRow, RowCheck, RowVersion } from './entry.js';
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

const time = (date: Date | null): number | null => (date === null ? null : date.getTime());
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** A blank JSON text is the empty list or object, as checkRow read it; "[]" and "{}" are shared. */
const jsonText = (text: string, empty: string, shared: SharedTexts): string =>
  text.trim() === '' ? empty : text.length <= 2 ? shared.get(text) : text;

/** What a HeldEntry keeps, as it keeps it. */
interface Held {
  readonly id: number;
  readonly name: string;
  readonly schedule: AnySchedule;
  readonly oneOff: boolean;
  readonly totalRunCount: number;
  readonly changeVersion: RowVersion;
  readonly task: string;
  readonly args: string;
  readonly kwargs: string;
  readonly headers: string;
  readonly route: EntryRoute;
  readonly priority: number | null;
  readonly expireSeconds: number | null;
  readonly expires: number | null;
  readonly startTime: number | null;
  readonly dateChanged: number;
  readonly lastRun: number | null;
  readonly token: RunToken;
}

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

  private constructor(held: Held) {
    this.id = held.id;
    this.name = held.name;
    this.schedule = held.schedule;
    this.oneOff = held.oneOff;
    this.totalRunCount = held.totalRunCount;
    this.changeVersion = held.changeVersion;
    this.#task = held.task;
    this.#args = held.args;
    this.#kwargs = held.kwargs;
    this.#headers = held.headers;
    this.#route = held.route;
    this.#priority = held.priority;
    this.#expireSeconds = held.expireSeconds;
    this.#expires = held.expires;
    this.#startTime = held.startTime;
    this.#dateChanged = held.dateChanged;
    this.#lastRun = held.lastRun;
    const token = held.token;
    this.#token = token instanceof Date && token.getTime() === held.lastRun ? undefined : token;
  }

  /** A row that passed checkRow, with what the check found and the row's run token. */
  static of(row: PeriodicTaskRow, check: RowCheck, token: RunToken, shared: SharedTexts): HeldEntry {
    return new HeldEntry({
      id: row.id,
      name: row.name,
      schedule: check.schedule,
      oneOff: row.oneOff,
      totalRunCount: row.totalRunCount,
      changeVersion: row.changeVersion,
      task: shared.get(row.task),
      args: jsonText(row.args, '[]', shared),
      kwargs: jsonText(row.kwargs, '{}', shared),
      headers: shared.get(jsonText(row.headers, '{}', shared)),
      route: Object.keys(check.route).length === 0 ? NO_ROUTE : check.route,
      priority: row.priority,
      expireSeconds: row.expireSeconds,
      expires: time(row.expires),
      startTime: time(row.startTime),
      dateChanged: row.dateChanged.getTime(),
      lastRun: time(row.lastRunAt),
      token,
    });
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
  ran(at: Date, token: RunToken): HeldEntry {
    return new HeldEntry({
      id: this.id,
      name: this.name,
      schedule: this.schedule,
      oneOff: this.oneOff,
      totalRunCount: this.totalRunCount + 1,
      changeVersion: this.changeVersion,
      task: this.#task,
      args: this.#args,
      kwargs: this.#kwargs,
      headers: this.#headers,
      route: this.#route,
      priority: this.#priority,
      expireSeconds: this.#expireSeconds,
      expires: this.#expires,
      startTime: this.#startTime,
      dateChanged: this.#dateChanged,
      lastRun: at.getTime(),
      token,
    });
  }
}
