// The live updates' pure parts: the event-stream format, and which
// topics a pair of marker reads says changed.
import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import type { Database } from '../../src/db/open.js';
import { changedTopics, markersOf, markersSql, type LiveTopic } from '../../src/web/live/markers.js';
import { sseComment, sseEvent } from '../../src/web/live/sse.js';

describe('sse', () => {
  it('writes an event as its name and one data line per line, ended by a blank line', () => {
    expect(sseEvent('results', '["a","b"]')).toBe('event: results\ndata: ["a","b"]\n\n');
    expect(sseEvent('x', 'one\ntwo\r\nthree')).toBe('event: x\ndata: one\ndata: two\ndata: three\n\n');
  });

  it('writes a comment on one line, whatever it was given', () => {
    expect(sseComment('keep\nalive')).toBe(': keep alive\n\n');
  });
});

describe('markers', () => {
  const topics: LiveTopic[] = ['results', 'tasks', 'workers', 'periodic'];

  it('reads every topic in one statement, quoted for the dialect', () => {
    const sql = markersSql({ dialect: dialectOf('postgresql') } as Database, topics);
    expect(sql.match(/SELECT MAX/g)).toHaveLength(7);
    expect(sql).toContain('MAX("date_done") FROM "celery_taskmeta"');
    expect(sql).toContain('FROM "djcelery_periodictasks" WHERE ident = 1');
  });

  it('names the topics whose id or time moved, reading dates and empty tables alike', () => {
    const row = { results_0: 3, results_1: new Date('2026-01-01T00:00:00Z'), tasks_0: null, tasks_1: null, workers_0: 1, workers_1: null, periodic_0: 7 };
    const before = markersOf(row, topics);
    expect(changedTopics(before, markersOf({ ...row }, topics), topics)).toEqual([]);
    const after = markersOf({ ...row, results_1: new Date('2026-01-01T00:00:01Z'), tasks_0: 1, periodic_0: 8 }, topics);
    expect(changedTopics(before, after, topics)).toEqual(['results', 'tasks', 'periodic']);
  });
});
