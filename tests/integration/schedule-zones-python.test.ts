// The committed time zone names against Python's own zoneinfo: every name
// the package accepts is one a Python tool reading the same rows loads.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { ZONE_NAMES } from '../../src/scheduler/schedules/zone-names.js';
import { describeWhenPresent } from '../support/gates.js';
import { PYTHON } from '../support/services.js';

const CHECK = [
  'import sys, zoneinfo',
  'bad = []',
  'for name in sys.stdin.read().split():',
  '    try: zoneinfo.ZoneInfo(name)',
  '    except Exception: bad.append(name)',
  'print(" ".join(bad))',
].join('\n');

// The interop suites' Python (python3-celery) is a Python with zoneinfo:
// the global setup checks it once, for every suite that needs it.
describeWhenPresent('python-celery')("time zone names and Python's zoneinfo", () => {
  it('loads every name the package accepts, and not the ones it refuses', () => {
    const run = (names: string) => spawnSync(PYTHON, ['-c', CHECK], { input: names, encoding: 'utf8' });
    const accepted = run(ZONE_NAMES);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout.trim()).toBe('');
    expect(run('US/Pacific-New Mars/Base').stdout.trim()).toBe('US/Pacific-New Mars/Base');
  });
});
