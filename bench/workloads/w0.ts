/**
 * W0, the raw floor: W1's row shape stored with the bare driver, one
 * connection, autocommit. Whatever the package does above this is overhead.
 */
import { resultJson, uuidSource } from '../data.js';
import { openRaw, type RawConnection } from '../raw.js';
import { percentile, repeat } from '../stats.js';
import type { Workload } from '../workload.js';

type Row = [taskId: string, status: string, result: string, dateDone: string];
const COLUMNS = 4;
const WARM_UP_ROWS = 20;

const CREATE = `CREATE TABLE w0_results (
  task_id varchar(255) NOT NULL PRIMARY KEY,
  status varchar(50) NOT NULL,
  result text,
  date_done timestamp NOT NULL
)`;

/** `YYYY-MM-DD HH:MM:SS.mmm`: a literal all three databases read as a timestamp without zone games. */
const sqlTimestamp = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

function makeRows(nextId: () => string, n: number): Row[] {
  const dateDone = sqlTimestamp(new Date());
  return Array.from({ length: n }, (_, i): Row => [nextId(), 'SUCCESS', resultJson(i), dateDone]);
}

function insertSql(conn: RawConnection, rows: number): string {
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => conn.dialect.param(r * COLUMNS + c + 1)).join(', ')})`,
  );
  return `INSERT INTO w0_results (task_id, status, result, date_done) VALUES ${tuples.join(', ')}`;
}

/** The rows as multi-row INSERTs: one, unless the driver's parameter limit forces more. */
function multiRowStatements(conn: RawConnection, rows: Row[]): { sql: string; values: string[] }[] {
  const perStatement = Math.min(rows.length, Math.floor(conn.maxParams / COLUMNS));
  const statements = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    statements.push({ sql: insertSql(conn, chunk.length), values: chunk.flat() });
  }
  return statements;
}

const truncate = (conn: RawConnection): Promise<void> =>
  conn.run(conn.dialect.provider === 'sqlite' ? 'DELETE FROM w0_results' : 'TRUNCATE TABLE w0_results');

const count = (conn: RawConnection): Promise<number> => conn.scalar('SELECT COUNT(*) FROM w0_results');

export const w0: Workload<{ n: number }> = {
  id: 'w0',
  params: { n: 5000 },
  async run({ database, params: { n }, runs, log }) {
    const nextId = uuidSource();
    const conn = await openRaw(database.target);
    try {
      await conn.run('DROP TABLE IF EXISTS w0_results');
      await conn.run(CREATE);
      const insertOne = await conn.prepare(insertSql(conn, 1));
      for (const row of makeRows(nextId, WARM_UP_ROWS)) await insertOne(row);
      for (const { sql, values } of multiRowStatements(conn, makeRows(nextId, WARM_UP_ROWS))) await conn.run(sql, values);

      const singleStored: number[] = [];
      const single = await repeat(runs, async (index) => {
        await truncate(conn);
        const rows = makeRows(nextId, n);
        const latencies = new Array<number>(n);
        const started = performance.now();
        let previous = started;
        for (let i = 0; i < n; i++) {
          await insertOne(rows[i]!);
          const now = performance.now();
          latencies[i] = now - previous;
          previous = now;
        }
        const seconds = (previous - started) / 1000;
        singleStored.push(await count(conn));
        log(`single_row ${index + 1}/${runs}: ${Math.round(n / seconds)} rows/s`);
        return { rows_per_s: n / seconds, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
      });

      const multiStored: number[] = [];
      const multi = await repeat(runs, async (index) => {
        await truncate(conn);
        const statements = multiRowStatements(conn, makeRows(nextId, n));
        const started = performance.now();
        for (const { sql, values } of statements) await conn.run(sql, values);
        const seconds = (performance.now() - started) / 1000;
        multiStored.push(await count(conn));
        log(`multi_row ${index + 1}/${runs}: ${Math.round(n / seconds)} rows/s in ${statements.length} statement(s)`);
        return { rows_per_s: n / seconds };
      });

      // The fewest rows any repeat left behind: a single lost row shows.
      return {
        single_row: { ...single, rows_stored: Math.min(...singleStored) },
        multi_row: { ...multi, rows_stored: Math.min(...multiStored) },
      };
    } finally {
      await conn.close();
    }
  },
};
