// Prisma CLI configuration. Our tables have one schema and one migrations
// history per provider; the provider comes from DATABASE_URL's scheme
// (file: → sqlite, postgres(ql): → postgresql, mysql:/mariadb: → mysql) or
// from PRISMA_CELERY_PROVIDER when no URL is set (e.g. for `prisma generate`).
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL;
const scheme = url?.split(':')[0];
const provider =
  process.env.PRISMA_CELERY_PROVIDER ??
  (scheme === 'file' ? 'sqlite'
    : scheme === 'postgres' || scheme === 'postgresql' ? 'postgresql'
    : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql'
    : 'sqlite');

export default defineConfig({
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/migrations/${provider}` },
  ...(url ? { datasource: { url: scheme === 'mariadb' ? url.replace(/^mariadb:/, 'mysql:') : url } } : {}),
});
