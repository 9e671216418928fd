// How a migration that failed to apply is reported: in Prisma's own words
// (user-facing error P3018), with the database's error code and text.

export interface DatabaseErrorInfo {
  code: string;
  message: string;
}

/**
 * The server's error code and text from what a driver adapter threw: a
 * DriverAdapterError (its cause carries the original code and message, or
 * kind "mysql"/"postgres"/"sqlite" fields), or any other error.
 */
export function databaseErrorOf(error: unknown): DatabaseErrorInfo {
  const cause = (error as { cause?: Record<string, unknown> } | undefined)?.cause;
  if (cause && typeof cause === 'object') {
    if (cause.originalMessage !== undefined) {
      return { code: String(cause.originalCode ?? 'none'), message: String(cause.originalMessage) };
    }
    if (cause.kind === 'mysql' || cause.kind === 'postgres' || cause.kind === 'sqlite') {
      return { code: String(cause.code ?? cause.extendedCode ?? 'none'), message: String(cause.message) };
    }
  }
  return { code: 'none', message: withoutSpanTrace(error instanceof Error ? error.message : String(error)) };
}

/** Drops the schema engine's span trace ("   0: sql_schema_connector::…") from a message. */
export function withoutSpanTrace(message: string): string {
  const lines = message.split('\n');
  const start = lines.findIndex((line) => /^\s+0: \S/.test(line));
  return (start === -1 ? lines : lines.slice(0, start)).join('\n').trimEnd();
}

/** The native engine's P3018 text (user-facing-errors ApplyMigrationError). */
export function applyMigrationErrorText(migration: string, error: DatabaseErrorInfo, statementIndex?: number): string {
  const position = statementIndex === undefined ? '' : `\n\nPlease check the query number ${statementIndex + 1} from the migration file.`;
  return (
    'A migration failed to apply. New migrations cannot be applied before the error is recovered from. ' +
    'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\n' +
    `Migration name: ${migration}\n\nDatabase error code: ${error.code}\n\nDatabase error:\n${error.message}${position}\n`
  );
}

/**
 * One line for any error met while migrating: a driver adapter error's kind
 * with its details (DatabaseNotReachable {"host":…}) or the server's own
 * text, else the message without the engine's span trace.
 */
export function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (error instanceof Error && error.name === 'DriverAdapterError' && cause && typeof cause === 'object') {
    const { kind, originalCode, originalMessage, ...details } = cause as Record<string, unknown>;
    // mariadb's pool timeout keeps the connection error that caused it as text.
    const reason = typeof details.cause === 'string' ? `: ${details.cause}` : '';
    if (originalMessage !== undefined) return `${String(originalMessage)} (${String(originalCode ?? kind)})${reason}`;
    return Object.keys(details).length > 0 ? `${String(kind)} ${JSON.stringify(details)}` : String(kind);
  }
  return withoutSpanTrace(error instanceof Error ? error.message : String(error));
}
