// Generates the three Prisma clients (one per provider) into src/db/generated.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { providers, root } from './schema-variants.js';

// `prisma generate` needs no schema engine, but the CLI looks for the native
// binary at start and, offline, fails trying to download it; any existing
// file satisfies that look.
const engineStandIn = process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? join(root, 'package.json');

for (const provider of providers) {
  const run = spawnSync('npx', ['prisma', 'generate'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PRISMA_CELERY_PROVIDER: provider, PRISMA_SCHEMA_ENGINE_BINARY: engineStandIn },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
