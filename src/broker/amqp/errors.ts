import { socketFault, type SocketFault } from '../../core/socket-fault.js';
import { PrismaCeleryError } from '../../errors.js';

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
  /** For E_BROKER_CONNECT: why, when it is known. */
  readonly fault: BrokerFault | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; replyCode?: number; fault?: BrokerFault }) {
    super(code, message, options);
    this.replyCode = options?.replyCode;
    this.fault = options?.fault;
  }
}

export interface BrokerFault {
  readonly kind: SocketFault | 'access-denied' | 'no-vhost';
  /** The broker's or the system's own words, on one line. */
  readonly detail: string;
}

/**
 * Why a connection could not be opened. Socket errors carry Node's code;
 * a refused handshake is only described in amqplib's message: the reply
 * code the broker closed with (403 ACCESS_REFUSED for a login), or a close
 * in place of connection.open-ok, which RabbitMQ sends when the vhost does
 * not exist or the user may not use it.
 */
export function brokerFault(error: unknown): BrokerFault | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const detail = message.split('\n')[0] ?? message;
  const socket = socketFault((error as { code?: unknown } | null)?.code);
  if (socket !== undefined) return { kind: socket, detail };
  // amqplib's own connect timeout, which carries no code.
  if (message === 'connect ETIMEDOUT') return { kind: 'timeout', detail };
  const refusedWith = /^Handshake terminated by server: (\d{3}) /.exec(message)?.[1];
  if (refusedWith === '403') return { kind: 'access-denied', detail };
  if (message.startsWith('Expected ConnectionOpenOk; got <ConnectionClose')) return { kind: 'no-vhost', detail };
  return undefined;
}

/** The vhost a broker URL names ("/" when it names none), as RabbitMQ sees it. */
export function vhostOf(url: string): string {
  const path = URL.canParse(url) ? new URL(url).pathname : '/';
  return path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
}

/** The AMQP reply code amqplib attached to an error from a server-side close, if any. */
export function replyCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
