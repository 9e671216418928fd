// A database as django-celery 2.5.5's `syncdb` left it under Django 1.x:
// its eight tables with the column types Django 1.x gave each model field
// per backend (CharField varchar(n); TextField text, longtext on MySQL;
// BooleanField bool/boolean; DateTimeField datetime, timestamp with time
// zone on PostgreSQL; FloatField real/double precision; PositiveIntegerField
// integer unsigned, a CHECK on PostgreSQL; AutoField integer primary key,
// serial, AUTO_INCREMENT; ForeignKey an integer REFERENCES the other table,
// DEFERRABLE on PostgreSQL, an ALTER TABLE constraint on MySQL). Django
// kept field defaults in Python, so no column has a DEFAULT. The rows are
// what a running deployment holds: a periodic task on an interval, a
// result, a snapshot of a task on a worker. The result is stored as JSON
// (a deployment with CELERY_RESULT_SERIALIZER = 'json'), as we read it.
import type { Provider } from '../../src/db/url.js';

type Field = 'auto' | `char(${number})` | 'text' | 'bool' | 'datetime' | 'float' | 'int' | 'uint' | 'smallint' | `fk:${string}`;

const MODELS: Record<string, [string, Field, 'null'?][]> = {
  celery_taskmeta: [
    ['id', 'auto'], ['task_id', 'char(255)'], ['status', 'char(50)'], ['result', 'text', 'null'],
    ['date_done', 'datetime'], ['traceback', 'text', 'null'], ['hidden', 'bool'],
  ],
  celery_tasksetmeta: [['id', 'auto'], ['taskset_id', 'char(255)'], ['result', 'text'], ['date_done', 'datetime'], ['hidden', 'bool']],
  djcelery_intervalschedule: [['id', 'auto'], ['every', 'int'], ['period', 'char(24)']],
  djcelery_crontabschedule: [
    ['id', 'auto'], ['minute', 'char(64)'], ['hour', 'char(64)'], ['day_of_week', 'char(64)'],
    ['day_of_month', 'char(64)'], ['month_of_year', 'char(64)'],
  ],
  djcelery_periodictasks: [['ident', 'smallint'], ['last_update', 'datetime']],
  djcelery_periodictask: [
    ['id', 'auto'], ['name', 'char(200)'], ['task', 'char(200)'],
    ['interval_id', 'fk:djcelery_intervalschedule', 'null'], ['crontab_id', 'fk:djcelery_crontabschedule', 'null'],
    ['args', 'text'], ['kwargs', 'text'], ['queue', 'char(200)', 'null'], ['exchange', 'char(200)', 'null'],
    ['routing_key', 'char(200)', 'null'], ['expires', 'datetime', 'null'], ['enabled', 'bool'],
    ['last_run_at', 'datetime', 'null'], ['total_run_count', 'uint'], ['date_changed', 'datetime'], ['description', 'text'],
  ],
  djcelery_workerstate: [['id', 'auto'], ['hostname', 'char(255)'], ['last_heartbeat', 'datetime', 'null']],
  djcelery_taskstate: [
    ['id', 'auto'], ['state', 'char(64)'], ['task_id', 'char(36)'], ['name', 'char(200)', 'null'], ['tstamp', 'datetime'],
    ['args', 'text', 'null'], ['kwargs', 'text', 'null'], ['eta', 'datetime', 'null'], ['expires', 'datetime', 'null'],
    ['result', 'text', 'null'], ['traceback', 'text', 'null'], ['runtime', 'float', 'null'], ['retries', 'int'],
    ['worker_id', 'fk:djcelery_workerstate', 'null'], ['hidden', 'bool'],
  ],
};

const UNIQUE: Record<string, string> = {
  celery_taskmeta: 'task_id', celery_tasksetmeta: 'taskset_id', djcelery_periodictask: 'name',
  djcelery_workerstate: 'hostname', djcelery_taskstate: 'task_id',
};

function columnType(provider: Provider, column: string, field: Field): string {
  const char = /^char\((\d+)\)$/.exec(field);
  if (char) return `varchar(${char[1]})`;
  if (field.startsWith('fk:')) {
    const table = field.slice(3);
    if (provider === 'mysql') return 'integer';
    return `integer REFERENCES "${table}" ("id")${provider === 'postgresql' ? ' DEFERRABLE INITIALLY DEFERRED' : ''}`;
  }
  const types: Record<Provider, Record<string, string>> = {
    sqlite: { auto: 'integer', text: 'text', bool: 'bool', datetime: 'datetime', float: 'real', int: 'integer', uint: 'integer unsigned', smallint: 'smallint' },
    postgresql: {
      auto: 'serial', text: 'text', bool: 'boolean', datetime: 'timestamp with time zone', float: 'double precision',
      int: 'integer', uint: `integer CHECK ("${column}" >= 0)`, smallint: 'smallint',
    },
    mysql: {
      auto: 'integer AUTO_INCREMENT', text: 'longtext', bool: 'bool', datetime: 'datetime', float: 'double precision',
      int: 'integer', uint: 'integer UNSIGNED', smallint: 'smallint',
    },
  };
  return types[provider][field] ?? field;
}

/** The CREATE TABLE statements (and MySQL's foreign keys) syncdb ran, in its order. */
export function djceleryTables(provider: Provider): string[] {
  const q = (name: string): string => (provider === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const statements: string[] = [];
  const foreignKeys: string[] = [];
  for (const [table, fields] of Object.entries(MODELS)) {
    const columns = fields.map(([column, field, nullable], index) => {
      const primary = index === 0 ? ' PRIMARY KEY' : '';
      const unique = UNIQUE[table] === column ? ' UNIQUE' : '';
      if (provider === 'mysql' && field.startsWith('fk:')) {
        foreignKeys.push(`ALTER TABLE ${q(table)} ADD CONSTRAINT \`${column}_refs_id_${table.length}\` FOREIGN KEY (${q(column)}) REFERENCES ${q(field.slice(3))} (\`id\`)`);
      }
      return `${q(column)} ${columnType(provider, column, field)}${nullable ? '' : ' NOT NULL'}${primary}${unique}`;
    });
    statements.push(`CREATE TABLE ${q(table)} (\n    ${columns.join(',\n    ')}\n)${provider === 'mysql' ? ' ENGINE=InnoDB' : ''}`);
  }
  return [...statements, ...foreignKeys];
}

/**
 * The rows a running deployment holds, their ids from the sequences as the
 * ORM leaves them; the task last ran long ago, so it is due at once.
 */
export function djceleryRows(provider: Provider): string[] {
  const t = provider === 'postgresql' ? 'true' : '1';
  const f = provider === 'postgresql' ? 'false' : '0';
  const ago = "'2026-01-01 10:00:00'";
  return [
    `INSERT INTO djcelery_intervalschedule (every, period) VALUES (10, 'seconds')`,
    `INSERT INTO djcelery_periodictask (name, task, interval_id, args, kwargs, enabled, last_run_at, total_run_count, date_changed, description)
     VALUES ('adopted-task', 'tasks.adopted', (SELECT MAX(id) FROM djcelery_intervalschedule), '[2, 3]', '{}', ${t}, ${ago}, 7, ${ago}, 'kept from django-celery')`,
    `INSERT INTO djcelery_periodictasks (ident, last_update) VALUES (1, ${ago})`,
    `INSERT INTO celery_taskmeta (task_id, status, result, date_done, traceback, hidden) VALUES ('adopted-result', 'SUCCESS', '42', ${ago}, NULL, ${f})`,
    `INSERT INTO djcelery_workerstate (hostname, last_heartbeat) VALUES ('celery@old', ${ago})`,
    `INSERT INTO djcelery_taskstate (state, task_id, name, tstamp, retries, worker_id, hidden) VALUES ('SUCCESS', 'adopted-state', 'tasks.adopted', ${ago}, 0, (SELECT MAX(id) FROM djcelery_workerstate), ${f})`,
  ];
}
