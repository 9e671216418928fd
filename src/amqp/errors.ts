import { PrismaCeleryError } from '../errors.js';

/**
 * Broker trouble, classified by `code`:
 * - E_BROKER_CONNECT: the broker could not be reached or refused the login.
 * - E_BROKER_CLOSED: a connection the caller lent us is closed; reopening it is the caller's job.
 * - E_PUBLISH_REFUSED: the broker closed the channel over this message (`replyCode` 404 no such
 *   exchange, 403 access refused, 406 declaration mismatch, ...) or amqplib could not encode
 *   it; sending it again cannot help.
 * - E_PUBLISH_UNCONFIRMED: no confirm after every attempt (nacks, lost connections, timeouts).
 *   The message may still have reached a queue.
 * - E_PUBLISHER_STATE: used before start() or after close().
 * Invalid options are ConfigErrors (E_CONFIG).
 */
export class BrokerError extends PrismaCeleryError {
  /** The AMQP reply code the broker closed the channel or connection with, if any. */
  readonly replyCode: number | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; replyCode?: number }) {
    super(code, message, options);
    this.replyCode = options?.replyCode;
  }
}

/** The AMQP reply code amqplib attached to an error from a server-side close, if any. */
export function replyCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A broker URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable broker URL)';
  }
}
