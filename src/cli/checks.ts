// Looks commands take at the database and the broker before they start, so
// a wrong setting is answered at once, in one line (see explain.ts), and
// not minutes later from deep inside a loop.
import { describeOrigin, type Origins } from '../config/resolve.js';
import { brokerUrl, databaseUrl } from '../config/settings.js';
import { checkDatabase, type DatabaseNeeds } from '../db/preflight.js';

/** The tables each part uses; a command checks those of the parts it runs. */
export const TABLES = {
  results: ['celery_taskmeta', 'celery_tasksetmeta'],
  periodic: ['djcelery_periodictask', 'djcelery_periodictasks', 'djcelery_crontabschedule', 'djcelery_intervalschedule', 'djcelery_clockedschedule'],
  camera: ['djcelery_taskstate', 'djcelery_workerstate'],
  monitor: ['djcelery_beatstate', 'celery_taskretry'],
} as const;

export interface Checks {
  /**
   * Checks the database of --database-url for `needs`; with no URL given,
   * then says on stderr which database that is.
   */
  database(needs: DatabaseNeeds): Promise<void>;
  /** Opens and closes one connection to the broker of --broker. */
  broker(): Promise<void>;
}

export function checks(settings: Readonly<Record<string, unknown>>, origins: Origins, err: (line: string) => void): Checks {
  return {
    async database(needs) {
      const url = settings[databaseUrl.key];
      if (typeof url !== 'string') throw new TypeError('this command reads no database URL');
      await checkDatabase(url, needs);
      // After the check: a failing one names the database in its own line.
      if (origins[databaseUrl.key] === undefined) err(`prisma-celery: using ${url} (${describeOrigin(databaseUrl, undefined)})`);
    },
    async broker() {
      const url = settings[brokerUrl.key];
      if (typeof url !== 'string') throw new TypeError('this command reads no broker URL');
      const { probeBroker } = await import('../broker/probe.js');
      await probeBroker(url);
    },
  };
}
