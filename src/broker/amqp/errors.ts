import { socketFault } from '../../core/socket-fault.js';
import type { BrokerFault } from '../errors.js';

// Shared by both transports; exported here too for the AMQP code's imports.
export { BrokerError, type BrokerFault } from '../errors.js';

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
