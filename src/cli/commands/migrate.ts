import { databaseUrl, logLevel, migrateDryRun } from '../../config/settings.js';
import { redactUrl } from '../../db/url.js';
import type { MigrationStatus } from '../../migrate/index.js';
import { defineCommand, UsageError } from '../command.js';

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

export const migrate = defineCommand({
  usage: 'migrate <deploy|status|adopt> [options]',
  description:
    'Applies the migrations that ship with prisma-celery to the database, as `prisma migrate deploy` ' +
    'would, or reports which are applied, pending or failed.',
  actions: {
    deploy: 'Apply every pending migration',
    status: 'List applied, pending and failed migrations; exit 1 unless the database is up to date',
    adopt: "Take over a django-celery database: bring its tables up to prisma-celery's, keeping every row, then deploy",
  },
  settings: [databaseUrl, logLevel, migrateDryRun],

  async run({ positionals, settings, out, err, check }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`migrate takes one action, got ${positionals.join(' ')}`);
    if (action === 'deploy') {
      // The engine's step-by-step lines are for debugging; the names applied are the result.
      const log = settings.logLevel === 'debug' ? err : undefined;
      await check.database({ tables: [], create: true });
      const { migrateDeploy } = await import('../../migrate/index.js');
      const { applied } = await migrateDeploy(settings.databaseUrl, { log });
      for (const name of applied) out(`Applied ${name}`);
      const where = redactUrl(settings.databaseUrl);
      out(applied.length === 0 ? `No pending migrations to apply to ${where}.` : `${plural(applied.length, 'migration')} applied to ${where}`);
      return 0;
    }
    if (action === 'status') {
      await check.database({ tables: [], create: false });
      const { migrateStatus } = await import('../../migrate/index.js');
      const status = await migrateStatus(settings.databaseUrl);
      out(`Database ${redactUrl(settings.databaseUrl)}`);
      for (const line of describeStatus(status)) out(line);
      // Non-zero when not up to date, as `prisma migrate status` does, so scripts can gate on it.
      return status.upToDate ? 0 : 1;
    }
    if (action === 'adopt') {
      await check.database({ tables: [], create: false });
      const { migrateAdopt } = await import('../../migrate/index.js');
      const log = settings.logLevel === 'debug' ? err : undefined;
      const { statements, later } = await migrateAdopt(settings.databaseUrl, { log, dryRun: settings.migrateDryRun });
      const where = redactUrl(settings.databaseUrl);
      if (settings.migrateDryRun) {
        out(`-- migrate adopt would run on ${where}:`);
        for (const statement of statements) out(`${statement};`);
        out(`-- then record the first migration (init) as applied and deploy ${later.length === 0 ? 'nothing more' : later.join(', ')}`);
        return 0;
      }
      out(`Adopted ${where}: ${plural(statements.length, 'statement')} run, init recorded as applied`);
      for (const name of later) out(`Applied ${name}`);
      return 0;
    }
    throw new UsageError(
      action === undefined
        ? 'migrate needs an action: deploy, status or adopt'
        : `unknown migrate action "${action}" (use deploy, status or adopt)`,
    );
  },
});

function describeStatus({ applied, pending, failed, upToDate }: MigrationStatus): string[] {
  const section = (title: string, names: string[]): string[] => [
    `${title} (${names.length})`,
    ...names.map((name) => `  ${name}`),
  ];
  const lines = [...section('Applied', applied), ...section('Pending', pending), ...section('Failed', failed)];
  if (upToDate) return [...lines, 'Database schema is up to date.'];
  const problems = [
    ...(pending.length > 0
      ? [`${plural(pending.length, 'pending migration')} (run prisma-celery migrate deploy)`]
      : []),
    ...(failed.length > 0 ? [`${plural(failed.length, 'failed migration')} to resolve`] : []),
  ];
  return [...lines, `Database schema is not up to date${problems.length > 0 ? `: ${problems.join('; ')}` : ''}.`];
}
