// The Celery 5.2.6 captures in ../shared/interop (beside the checkout).
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../../shared/interop/fixtures/celery-5.2.6/', import.meta.url);

/** A fixture file of the Celery captures, parsed. */
export const readCeleryFixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;

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
