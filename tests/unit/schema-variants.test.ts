import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { masterPath, providers, renderVariant, variantPath } from '../../scripts/schema-variants.js';

const master = readFileSync(masterPath, 'utf8');

describe('per-provider schemas', () => {
  it.each(providers)('prisma/%s/schema.prisma is current (run `npm run schemas` after editing prisma/schema.prisma)', (p) => {
    expect(readFileSync(variantPath(p), 'utf8')).toBe(renderVariant(master, p));
  });

  it('gives PostgreSQL timestamptz and MySQL datetime(3) for every DateTime', () => {
    const dateTimeFields = master.split('\n').filter((l) => /^\s+\w+\s+DateTime\??(\s|$)/.test(l)).length;
    expect(dateTimeFields).toBeGreaterThan(10);
    expect(renderVariant(master, 'postgresql').match(/@db\.Timestamptz\(3\)/g)).toHaveLength(dateTimeFields);
    expect(renderVariant(master, 'mysql').match(/@db\.DateTime\(3\)/g)).toHaveLength(dateTimeFields);
    expect(renderVariant(master, 'sqlite')).not.toContain('@db.');
  });

  it('turns the text and id markers into native types and leaves no marker behind', () => {
    const mysql = renderVariant(master, 'mysql');
    expect(mysql).toMatch(/result\s+String\?\s+@db\.LongText/);
    expect(mysql).toMatch(/taskId\s+String\s+@unique @map\("task_id"\) @db\.VarChar\(255\)/);
    for (const p of providers) expect(renderVariant(master, p)).not.toMatch(/\/\/ @(text|id255)/);
  });

  it('points each variant at its own provider and generated client', () => {
    expect(renderVariant(master, 'mysql')).toMatch(/provider = "mysql"/);
    expect(renderVariant(master, 'postgresql')).toContain('"../../src/db/generated/postgresql"');
  });
});
