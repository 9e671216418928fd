import { setMaxListeners } from 'node:events';
import type { TaskMessage } from '../core/protocol/task-message.js';
import { BrokerError } from './errors.js';
import { within } from './send-policy.js';

export type PublisherState = 'new' | 'starting' | 'started' | 'closed';

/**
 * The life both task publishers share: new → starting → started → closed,
 * the sends under way, and how close() ends them: first no more retries,
 * then, after the close budget, no more waiting (sends still under way
 * reject at once).
 */
export class PublisherLife {
  state: PublisherState = 'new';
  /** Aborted by close(): no send starts another attempt. */
  readonly closing = new AbortController();
  /** Aborted when close() stops waiting for sends under way. */
  readonly abandoning = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor() {
    // One listener per send under way (waiting to retry, or for its answer), removed when it settles.
    setMaxListeners(0, this.closing.signal, this.abandoning.signal);
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Moves to 'starting'; E_PUBLISHER_STATE unless new. */
  beginStart(): void {
    if (this.state !== 'new') throw new BrokerError('E_PUBLISHER_STATE', `start() on a publisher that is ${this.state}`);
    this.state = 'starting';
  }

  /** After start() connected: 'started', unless close() came first. */
  started(): void {
    if (this.state === 'starting') this.state = 'started';
  }

  /** After start() failed: 'new' again (start() may be retried), unless close() came first. */
  startFailed(): void {
    if (this.state === 'starting') this.state = 'new';
  }

  /** Runs `send` for a started publisher and tracks it until it settles. */
  track(message: TaskMessage, send: () => Promise<void>): Promise<void> {
    if (this.state !== 'started') {
      const hint = this.state === 'closed' ? 'the publisher is closed' : 'call start() first';
      return Promise.reject(new BrokerError('E_PUBLISHER_STATE', `cannot publish task ${message.id}: ${hint}`));
    }
    const sending = send();
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending)).catch(() => {});
    return sending;
  }

  /**
   * Closes: stops retries, waits up to `budgetMs` for the sends under way
   * (and `also`, e.g. a connection being opened), then abandons those still
   * unanswered and waits for them to reject. False if it was closed already.
   */
  async close(budgetMs: number, also?: Promise<unknown> | null): Promise<boolean> {
    if (this.state === 'closed') return false;
    this.state = 'closed';
    this.closing.abort();
    await within(Promise.allSettled([...this.inFlight, also]), budgetMs);
    this.abandoning.abort();
    await Promise.allSettled(this.inFlight);
    return true;
  }
}
