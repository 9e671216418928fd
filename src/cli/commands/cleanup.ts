import { auditRetention, cleanupBatchSize, databaseUrl, layout, logLevel, resultExpires, unreadyExpires } from '../../config/settings.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

export const cleanup = defineCommand({
  usage: 'cleanup [options]',
  description:
    'Expires task results and saved groups done longer ago than --expires (unfinished tasks: --unready-expires): deletes them, and rows marked ' +
    'hidden, one batch of primary-key ids per statement (--batch-size ids at first, more while statements ' +
    'stay quick), so no statement holds locks for long; prunes the audit trail of schedule changes older than ' +
    '--audit-retention the same way. Run it from cron, as celery beat runs backend_cleanup daily.',
  settings: [databaseUrl, layout, resultExpires, unreadyExpires, cleanupBatchSize, auditRetention, logLevel],

  async run({ positionals, settings, out, err, check }) {
    if (positionals.length > 0) throw new UsageError(`cleanup takes no arguments, got ${positionals.join(' ')}`);
    // Django's tables are checked by the backend as it starts, which names the Django command that makes them.
    await check.database({ tables: settings.layout === 'django' ? [] : TABLES.results, create: false });
    // Loaded once the check passes, so a wrong setting is answered without loading Prisma.
    const { PrismaResultBackend } = await import('../../backend/backend.js');
    await using backend = new PrismaResultBackend(settings.databaseUrl, {
      layout: settings.layout,
      cleanupBatchSize: settings.cleanupBatchSize,
      onEvent: (event) => {
        if (event.type === 'retry' && settings.logLevel === 'debug') err(`retrying after a transient error (attempt ${event.attempt})`);
      },
    });
    const report = await backend.cleanup({ expires: settings.resultExpires * 1000, unreadyExpires: settings.unreadyExpires * 1000 });
    out(
      `Expired ${plural(report.tasks.deleted, 'task result')} and ${plural(report.groups.deleted, 'group')} ` +
        `done before ${report.cutoff.toISOString()}`,
    );
    if (settings.logLevel === 'debug') {
      out(`${report.statements} statements, the longest ${report.longestStatementMs.toFixed(1)} ms`);
    }
    // The audit trail is kept in our tables only: the django layout has none.
    if (settings.auditRetention > 0 && settings.layout !== 'django') {
      const [{ openDatabase }, { pruneAudit }] = await Promise.all([import('../../db/open.js'), import('../../scheduler/schedule-audit.js')]);
      await using database = await openDatabase(settings.databaseUrl);
      const before = new Date(Date.now() - settings.auditRetention * 1000);
      const pruned = await pruneAudit(database, before, settings.cleanupBatchSize);
      out(`Pruned ${plural(pruned.deleted, 'schedule change')} recorded before ${before.toISOString()}`);
    }
    return 0;
  },
});
