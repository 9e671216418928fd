/**
 * A task publisher that connects on the first task it sends, so a monitor
 * whose broker is down still serves its pages; a failed connection is
 * tried again by the next send.
 */
import { BrokerError } from '../broker/errors.js';
import { createTaskPublisher, type BrokerPublisher, type CreatePublisherOptions } from '../broker/publisher.js';
import type { TaskMessage } from '../core/protocol/index.js';
import type { Publisher } from './views/apply.js';

export class LazyPublisher implements Publisher, AsyncDisposable {
  readonly #url: string;
  readonly #options: CreatePublisherOptions;
  #started: Promise<BrokerPublisher> | null = null;
  #closed = false;

  /** `url`: amqp://… or redis://…; the publisher is made on the first send. */
  constructor(url: string, options: CreatePublisherOptions = {}) {
    this.#url = url;
    this.#options = options;
  }

  async publish(message: TaskMessage): Promise<void> {
    const publisher = await this.#publisher();
    await publisher.publish(message);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const started = this.#started;
    this.#started = null;
    const publisher = await started?.catch(() => null);
    await publisher?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #publisher(): Promise<BrokerPublisher> {
    if (this.#closed) return Promise.reject(new BrokerError('E_PUBLISHER_STATE', 'the publisher is closed'));
    this.#started ??= (async () => {
      const publisher = createTaskPublisher(this.#url, this.#options);
      await publisher.start();
      return publisher;
    })().catch((error: unknown) => {
      this.#started = null;
      throw error;
    });
    return this.#started;
  }
}
