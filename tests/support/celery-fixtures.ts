// The captured wire data in tests/fixtures (its README says what each file
// is and how it was captured).
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** A file under tests/fixtures, as text. */
export const readFixtureText = (path: string): string => readFileSync(new URL(path, FIXTURES), 'utf8');

/** A JSON file under tests/fixtures, parsed. */
export const readFixture = <T>(path: string): T => JSON.parse(readFixtureText(path)) as T;

/** A JSON file of the Celery 5.2.6 captures, parsed. */
export const readCeleryFixture = <T>(name: string): T => readFixture(`celery-5.2.6/${name}`);

/**
 * The event subject that puts a task in each state. In Celery's State,
 * `Task.<subject>` holds the timestamp of the last event of that kind, so
 * the one for the current state is when that state began.
 */
export const SUBJECT_OF_STATE: Readonly<Record<string, string>> = {
  PENDING: 'sent',
  RECEIVED: 'received',
  STARTED: 'started',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  RETRY: 'retried',
  REVOKED: 'revoked',
  REJECTED: 'rejected',
};
