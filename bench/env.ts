/** The `env` block of a result line: what the figures were measured with. */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { projectRoot } from './databases.js';

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(resolve(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

export const loadAverage = (): number[] => loadavg().map((load) => Number(load.toFixed(2)));

export function environment(loadavgStart: number[], loadavgEnd: number[]) {
  return {
    node: process.versions.node,
    prisma: versionOf('prisma'),
    pg: versionOf('pg'),
    mariadb: versionOf('mariadb'),
    'better-sqlite3': versionOf('better-sqlite3'),
    cpus: availableParallelism(),
    loadavg_start: loadavgStart,
    loadavg_end: loadavgEnd,
  };
}
