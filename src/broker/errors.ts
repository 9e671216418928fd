import type { SocketFault } from '../core/socket-fault.js';
import { PrismaCeleryError } from '../errors.js';

/**
 * Broker trouble, on either transport, classified by `code`:
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
  /** For E_BROKER_CONNECT: why, when it is known. */
  readonly fault: BrokerFault | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; replyCode?: number; fault?: BrokerFault }) {
    super(code, message, options);
    this.replyCode = options?.replyCode;
    this.fault = options?.fault;
  }
}

/** Why a broker connection could not be opened. */
export type BrokerFault =
  | {
      readonly kind:
        | SocketFault
        // The login was refused (RabbitMQ 403; Redis NOAUTH or WRONGPASS).
        | 'access-denied'
        // RabbitMQ: the vhost does not exist, or the user may not use it.
        | 'no-vhost'
        // Redis: the ACL user may not run a command the connection needs (NOPERM).
        | 'no-permission'
        // Something answers at the address, but not in the broker's protocol.
        | 'not-broker'
        // rediss://: the server's certificate was not trusted.
        | 'tls-untrusted'
        // rediss://: the TLS handshake failed otherwise.
        | 'tls';
      /** The broker's or the system's own words, on one line. */
      readonly detail: string;
    }
  | {
      /** Redis: the URL's database number is not below the server's `databases`. */
      readonly kind: 'no-database';
      readonly detail: string;
      /** How many databases the server has, when it said. */
      readonly databases?: number;
    };

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
