/**
 * What an unexpected error becomes on the wire: a caller's mistake is 400,
 * a database that cannot answer is 503, anything else 500 with no details
 * (they go to the log, not to whoever asked).
 */
import { PrismaCeleryError } from '../../errors.js';
import { HttpError, jsonError } from './responses.js';

const BAD_INPUT: ReadonlySet<string> = new Set(['E_INVALID_TASK_ID', 'E_INVALID_ARGUMENT']);
const UNAVAILABLE: ReadonlySet<string> = new Set(['E_BACKEND_DATABASE', 'E_BACKEND_NOT_MIGRATED', 'E_BACKEND_CLOSED']);

// Prisma's own errors carry no shared base class across its generated clients; their names are stable.
const PRISMA_UNAVAILABLE: ReadonlySet<string> = new Set([
  'PrismaClientInitializationError',
  'PrismaClientRustPanicError',
  'DriverAdapterError',
]);
// P1xxx: cannot reach the server; P2021/P2022: a table or column is missing (not migrated); P2024: pool timeout.
const PRISMA_UNAVAILABLE_CODES = /^(P1\d{3}|P2021|P2022|P2024)$/;

export type ErrorLog = (message: string, error: unknown) => void;

export function errorResponse(error: unknown, log: ErrorLog): Response {
  if (error instanceof HttpError) return error.toResponse();
  if (error instanceof PrismaCeleryError && BAD_INPUT.has(error.code)) return jsonError(400, error.message);
  if (isUnavailable(error)) {
    log('the database could not answer', error);
    return jsonError(503, 'the database is unavailable or not migrated (prisma-celery migrate deploy); see the server log');
  }
  log('unexpected error', error);
  return jsonError(500, 'internal error; see the server log');
}

function isUnavailable(error: unknown): boolean {
  if (error instanceof PrismaCeleryError) return UNAVAILABLE.has(error.code);
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (typeof name === 'string' && PRISMA_UNAVAILABLE.has(name)) || (typeof code === 'string' && PRISMA_UNAVAILABLE_CODES.test(code));
}
