// The committed SQLite and PostgreSQL histories, replayed by Prisma's schema
// engine on scratch databases, lead exactly to their schema variants: the
// check scripts/new-migration.ts makes before it writes anything, so a
// history the engine cannot replay (a migration of comments only, say)
// is found here rather than by the next person adding a migration.
import { afterAll, expect } from 'vitest';
import { historyToVariant, isEmptyScript } from '../../scripts/engine-diff.js';
import { postgresScratch, sqliteScratch, type ScratchDatabases } from '../../scripts/shadow-databases.js';
import { itWhen, postgresAdminUrl } from '../support/databases.js';
import { selectedProviders } from '../support/providers.js';
import { missingServices } from '../support/services.js';

const scratches: ScratchDatabases[] = [];
afterAll(() => Promise.all(scratches.map((s) => s.dispose())));

const runs = (provider: 'sqlite' | 'postgresql'): boolean =>
  selectedProviders().includes(provider) && (provider === 'sqlite' || !missingServices().has(provider));

for (const provider of ['sqlite', 'postgresql'] as const) {
  itWhen(runs(provider))(`${provider}: the committed migrations replay to prisma/${provider}/schema.prisma, nothing left to diff`, async () => {
    const scratch = provider === 'sqlite' ? await sqliteScratch() : await postgresScratch(postgresAdminUrl);
    scratches.push(scratch);
    const script = await historyToVariant(provider, scratch);
    expect(isEmptyScript(script), script).toBe(true);
  });
}
