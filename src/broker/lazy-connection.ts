import { BrokerError } from './errors.js';

/**
 * A connection opened on first use and shared by the calls after it; a
 * failed open is tried again by the next call, and a connection that
 * closed is reopened by dropping it (drop()).
 */
export class LazyConnection<T> {
  readonly #open: () => Promise<T>;
  readonly #end: (connection: T) => Promise<void>;
  #current: Promise<T> | null = null;
  #closed = false;

  constructor(open: () => Promise<T>, end: (connection: T) => Promise<void>) {
    this.#open = open;
    this.#end = end;
  }

  get(): Promise<T> {
    if (this.#closed) return Promise.reject(new BrokerError('E_BROKER_CLOSED', 'the connection was closed'));
    this.#current ??= this.#open().catch((error: unknown) => {
      this.#current = null;
      throw error;
    });
    return this.#current;
  }

  /** Forgets `connection`, so that the next get() opens another (it closed, or failed). */
  drop(connection: T): void {
    void this.#current?.then((current) => {
      if (current === connection) this.#current = null;
    }, () => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = null;
    const connection = await current?.catch(() => null);
    if (connection !== null && connection !== undefined) await this.#end(connection);
  }
}
