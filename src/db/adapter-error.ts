/**
 * Reading a failed statement's error. The driver adapter describes every
 * database error the same way ({kind, code, …}; see
 * @prisma/driver-adapter-utils), and it reaches us in one of two
 * wrappings: Prisma's error from its own calls (meta.driverAdapterError.cause),
 * or the adapter's DriverAdapterError (cause) from db.sql's direct path.
 */

/** The adapter's description of a failed statement; every field is optional here, as each kind has its own. */
export interface AdapterCause {
  kind?: unknown;
  code?: unknown;
  state?: unknown;
  extendedCode?: unknown;
  originalCode?: unknown;
  originalMessage?: unknown;
}

const MAX_DEPTH = 6;

/** Each description found along the error's cause chain, outermost first. */
export function* adapterCauses(error: unknown): Generator<AdapterCause> {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < MAX_DEPTH; depth++) {
    const meta = (e as { meta?: { driverAdapterError?: { cause?: unknown } } }).meta;
    const wrapped = meta?.driverAdapterError?.cause;
    if (typeof wrapped === 'object' && wrapped !== null) yield wrapped as AdapterCause;
    else if ('kind' in e) yield e as AdapterCause;
    e = (e as { cause?: unknown }).cause;
  }
}

/** The first description along the cause chain. */
export function adapterCause(error: unknown): AdapterCause | undefined {
  for (const cause of adapterCauses(error)) return cause;
  return undefined;
}

/** MySQL's error number, when the database said one. */
export function mysqlErrorCode(error: unknown): number | undefined {
  const cause = adapterCause(error);
  return cause?.kind === 'mysql' && typeof cause.code === 'number' ? cause.code : undefined;
}

/** The database's own words for a failed statement (Prisma wraps them in several lines of its own). */
export function describeDatabaseError(error: unknown): string {
  const cause = adapterCause(error);
  if (typeof cause?.originalMessage === 'string') {
    const code = typeof cause.originalCode === 'string' ? ` (${cause.originalCode})` : '';
    return `${cause.originalMessage}${code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A missing table or column: our migrations were not applied. */
export function isMissingSchema(error: unknown): boolean {
  const kind = adapterCause(error)?.kind;
  return kind === 'TableDoesNotExist' || kind === 'ColumnNotFound';
}
