/**
 * Every error this package throws on purpose is a PrismaCeleryError with a
 * stable `code`; callers classify by code, never by message text.
 */
export class PrismaCeleryError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A setting (flag, environment variable, config file entry) is missing or invalid. */
export class ConfigError extends PrismaCeleryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONFIG', message, options);
  }
}

/** A migration could not be applied, or the database refuses migrations. */
export class MigrationError extends PrismaCeleryError {
  readonly migration: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; migration?: string }) {
    super(code, message, options);
    this.migration = options?.migration;
  }
}
