import { describe } from 'vitest';
import { missingServices } from './services.js';

/**
 * `describe`, or `describe.skip` when the global setup found this server or
 * program missing. That happens only outside CI: under CI=true the setup
 * fails the run instead, and it prints the one-line reason either way.
 */
export const describeWhenPresent = (name: string) => (missingServices().has(name) ? describe.skip : describe);

/**
 * For a suite that needs a program the global setup does not check (a
 * private server's binaries): `missing` is why it cannot run, or null.
 * Under CI=true a missing program fails the run; outside CI the suite is
 * skipped with that reason printed once.
 */
export function describeUnlessMissing(
  missing: string | null,
  title: string,
  body: () => void,
  present: (title: string, body: () => void) => unknown = describe,
): void {
  if (missing === null) {
    present(title, body);
    return;
  }
  if (process.env.CI === 'true') throw new Error(`CI needs ${missing}`);
  console.warn(`[prisma-celery tests] skipping "${title}": ${missing}`);
  describe.skip(title, body);
}
