/**
 * A write statement that also tells LISTENing waiters on PostgreSQL which
 * rows it made ready: `pg_notify` inside the same statement, so the
 * notification goes out on commit with the rows and never without them.
 * One notification per statement, listing the ids as a JSON array; a
 * statement whose ids would pass the 8000-byte payload limit sends them in
 * several notifications, and one that somehow still does not fit sends `*`
 * (every waiter reads again). Pure: SQL text only.
 */
import { RESULT_CHANNEL } from '../db/pg-listener.js';

/** Bytes of ids per notification: under 8000 with room for one more id (255 characters, JSON-escaped). */
const CHUNK_BYTES = 6000;
const MAX_PAYLOAD_BYTES = 7999;

/** `statement` (an INSERT … ON CONFLICT on PostgreSQL) notifying the ids in `idColumn` of the rows that pass `where`. */
export function withNotify(statement: string, idColumn: string, where: string): string {
  const json = `octet_length(to_json(${idColumn})::text) + 1`;
  return (
    `WITH stored AS (${statement} RETURNING ${idColumn}, ${where} AS ready), ` +
    `chunks AS (SELECT json_agg(${idColumn})::text AS ids FROM ` +
    `(SELECT ${idColumn}, sum(${json}) OVER (ORDER BY ${idColumn}) / ${CHUNK_BYTES} AS chunk FROM stored WHERE ready) r GROUP BY chunk) ` +
    `SELECT pg_notify('${RESULT_CHANNEL}', CASE WHEN octet_length(ids) <= ${MAX_PAYLOAD_BYTES} THEN ids ELSE '*' END) FROM chunks`
  );
}
