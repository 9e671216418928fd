// Renders the per-provider Prisma schemas from prisma/schema.prisma.
// A Prisma schema names one provider and a generated client accepts adapters
// of its own provider only, so each provider gets its own schema and client.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const providers = ['sqlite', 'postgresql', 'mysql'] as const;
export type Provider = (typeof providers)[number];

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const masterPath = join(root, 'prisma', 'schema.prisma');
export const variantPath = (p: Provider): string => join(root, 'prisma', p, 'schema.prisma');

const nativeTypes: Record<Provider, { dateTime: string; text: string; id255: string }> = {
  sqlite: { dateTime: '', text: '', id255: '' },
  postgresql: { dateTime: '@db.Timestamptz(3)', text: '@db.Text', id255: '@db.VarChar(255)' },
  mysql: { dateTime: '@db.DateTime(3)', text: '@db.LongText', id255: '@db.VarChar(255)' },
};

/** The master schema rewritten for one provider (pure: text in, text out). */
export function renderVariant(master: string, provider: Provider): string {
  const types = nativeTypes[provider];
  const header = `// GENERATED from ../schema.prisma by \`npm run schemas\`: edit that file, not this one.\n`;
  const body = master
    .split('\n')
    .filter((line) => !/^\/\/ /.test(line) && line !== '//')
    .map((line) => {
      let out = line
        .replace(/provider(\s*)= "sqlite"/, `provider$1= "${provider}"`)
        .replace('"../src/db/generated/sqlite"', `"../../src/db/generated/${provider}"`);
      const marker = /\s*\/\/ @(text|id255)\s*$/.exec(out);
      if (marker) {
        out = out.slice(0, marker.index);
        const native = types[marker[1] as 'text' | 'id255'];
        if (native) out += ` ${native}`;
      } else if (/^\s+\w+\s+DateTime\??(\s|$)/.test(out) && types.dateTime) {
        out = out.replace(/\s*$/, ` ${types.dateTime}`);
      }
      return out;
    })
    .join('\n')
    .replace(/^\n+/, '');
  return header + '\n' + body;
}

export function writeVariants(): void {
  const master = readFileSync(masterPath, 'utf8');
  for (const p of providers) {
    mkdirSync(dirname(variantPath(p)), { recursive: true });
    writeFileSync(variantPath(p), renderVariant(master, p));
  }
}
