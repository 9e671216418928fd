/**
 * What changed in the tables, told by a handful of index-backed maxima:
 * the poll behind live updates where the database pushes nothing.
 * One statement per poll, whatever the number of pages open.
 */
import type { Layout } from '../../db/layout.js';
import type { Database } from '../../db/open.js';

/** What a page may have to draw again. */
export type LiveTopic = 'results' | 'tasks' | 'workers' | 'periodic';

/** Each topic's marker as text (null when its table is empty), compared as a whole. */
export type Markers = Readonly<Record<LiveTopic, string>>;

type Source = readonly [table: string, columns: readonly string[], where?: string];

/** The maxima per topic: a new row moves the id, an updated row its time. */
const COLUMNS: Readonly<Record<LiveTopic, Source>> = {
  results: ['celery_taskmeta', ['id', 'date_done']],
  tasks: ['djcelery_taskstate', ['id', 'tstamp']],
  workers: ['djcelery_workerstate', ['id', 'last_heartbeat']],
  periodic: ['djcelery_periodictasks', ['version'], 'ident = 1'],
};

/**
 * Where the django layout reads a topic instead: django-celery-results'
 * table, and django-celery-beat's change marker (its signals, and our
 * store, bump last_update on every change of an entry). Each keeps the
 * number of columns of ours, which markersOf() relies on.
 */
const DJANGO_COLUMNS: Readonly<Partial<Record<LiveTopic, Source>>> = {
  results: ['django_celery_results_taskresult', ['id', 'date_done']],
  periodic: ['django_celery_beat_periodictasks', ['last_update'], 'ident = 1'],
};

const sourceOf = (topic: LiveTopic, layout: Layout): Source => (layout === 'django' ? DJANGO_COLUMNS[topic] : undefined) ?? COLUMNS[topic];

export function markersSql(database: Database, topics: readonly LiveTopic[], layout: Layout = 'djcelery'): string {
  const q = (name: string) => database.dialect.ident(name);
  const parts = topics.flatMap((topic) => {
    const [table, columns, where] = sourceOf(topic, layout);
    return columns.map((column, i) => `(SELECT MAX(${q(column)}) FROM ${q(table)}${where === undefined ? '' : ` WHERE ${where}`}) AS ${q(`${topic}_${i}`)}`);
  });
  return `SELECT ${parts.join(', ')}`;
}

const text = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value ?? ''));

/** The row markersSql() read, as one marker per topic. Pure. */
export function markersOf(row: Readonly<Record<string, unknown>>, topics: readonly LiveTopic[]): Markers {
  const markers: Partial<Record<LiveTopic, string>> = {};
  for (const topic of topics) {
    markers[topic] = COLUMNS[topic][1].map((_, i) => text(row[`${topic}_${i}`])).join('|');
  }
  return markers as Markers;
}

/** The topics whose marker moved. Pure. */
export function changedTopics(before: Markers, after: Markers, topics: readonly LiveTopic[]): LiveTopic[] {
  return topics.filter((topic) => before[topic] !== after[topic]);
}
