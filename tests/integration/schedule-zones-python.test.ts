// The committed time zone names against Python's own zoneinfo: every name
// the package accepts is one a Python tool reading the same rows loads.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ZONE_NAMES } from '../../src/scheduler/schedules/zone-names.js';

const PYTHON = '/usr/bin/python3';
const CHECK = [
  'import sys, zoneinfo',
  'bad = []',
  'for name in sys.stdin.read().split():',
  '    try: zoneinfo.ZoneInfo(name)',
  '    except Exception: bad.append(name)',
  'print(" ".join(bad))',
].join('\n');

const hasPython = spawnSync(PYTHON, ['-c', 'import zoneinfo'], { stdio: 'ignore' }).status === 0;
if (!hasPython && process.env.CI === 'true') throw new Error('CI needs Python 3.9+ at /usr/bin/python3 (apt-get install -y python3)');
if (!hasPython) console.warn('[prisma-celery tests] skipping the zoneinfo check: /usr/bin/python3 with zoneinfo not found; install python3');

describe.skipIf(!hasPython)("time zone names and Python's zoneinfo", () => {
  it('loads every name the package accepts, and not the ones it refuses', () => {
    const run = (names: string) => spawnSync(PYTHON, ['-c', CHECK], { input: names, encoding: 'utf8' });
    const accepted = run(ZONE_NAMES);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout.trim()).toBe('');
    expect(run('US/Pacific-New Mars/Base').stdout.trim()).toBe('US/Pacific-New Mars/Base');
  });
});
