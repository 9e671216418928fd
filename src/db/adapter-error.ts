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

/**
 * An error's cause in one line, as the database, broker or system said it:
 * the adapter's description of a failed statement, else the last line of a
 * Prisma error (its first lines name our own call and source position),
 * else the first line of the message.
 */
export function causeLine(error: unknown): string {
  for (const cause of adapterCauses(error)) {
    if (typeof cause.originalMessage === 'string') {
      const code = typeof cause.originalCode === 'string' ? ` (${cause.originalCode})` : '';
      return `${firstLine(cause.originalMessage)}${code}`;
    }
    if (typeof cause.kind === 'string' && cause.kind !== 'GenericJs') return describeKind(cause as Record<string, unknown>);
  }
  if (!(error instanceof Error)) return firstLine(String(error));
  const lines = error.message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (error.name.startsWith('PrismaClient') && lines.length > 1) return lines.at(-1) ?? '';
  return lines[0] ?? error.name;
}

// The adapter's kinds without a message of their own: the kind and its fields.
function describeKind(cause: Record<string, unknown>): string {
  const fields = Object.entries(cause)
    .filter(([key, value]) => key !== 'kind' && (typeof value === 'string' || typeof value === 'number'))
    .map(([key, value]) => `${key} ${String(value)}`);
  return `${String(cause.kind)}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

export const firstLine = (text: string): string =>
  text.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? text.trim();
