/**
 * Why a Redis connection could not be opened, read from what ioredis
 * reported while it tried. Pure: no I/O.
 */
import { socketFault } from '../../core/socket-fault.js';
import type { BrokerFault } from '../errors.js';

// Node's codes for a certificate it would not trust.
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The kind of a failed first connect. `error` is the first error ioredis
 * emitted (undefined when the connection just closed); `opened` says
 * whether the TCP (or TLS) connection was up before it failed, `tls`
 * whether the URL asked for TLS. Redis replies are classified by their
 * error code, the first word of the reply (RESP), and by the command
 * refused; anything else that goes wrong on an open connection before
 * Redis answered means the server is not Redis.
 */
export function redisFault(error: unknown, { opened, tls }: { opened: boolean; tls: boolean }): BrokerFault | undefined {
  if (error === undefined) return opened ? { kind: 'not-broker', detail: 'it closed the connection without answering' } : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const reply = replyOf(error);
  if (reply !== undefined) {
    const detail = firstClause(message);
    if (reply.code === 'NOAUTH' || reply.code === 'WRONGPASS') return { kind: 'access-denied', detail };
    if (reply.code === 'NOPERM') return { kind: 'no-permission', detail };
    if (reply.command === 'select') return { kind: 'no-database', detail };
    // Redis before 6 refuses a wrong password with a plain ERR.
    if (reply.command === 'auth' || reply.command === 'hello') return { kind: 'access-denied', detail };
    return undefined;
  }
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  const detail = message.split('\n')[0] ?? message;
  if (typeof code === 'string' && UNTRUSTED.has(code)) return { kind: 'tls-untrusted', detail };
  // OpenSSL's message is its error queue; `reason` is the readable part.
  if (typeof code === 'string' && (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return { kind: 'tls', detail: typeof reason === 'string' ? reason : detail };
  }
  // A Unix socket's file is missing (redis+socket://).
  const socket = code === 'ENOENT' ? 'unreachable' : socketFault(code);
  // Something took the connection and hung up before the TLS handshake was over: no TLS server.
  if (tls && !opened && code === 'ECONNRESET') return { kind: 'tls', detail };
  // A server that hangs up on the first command is not one that speaks Redis.
  if (socket === 'unreachable' && opened) return { kind: 'not-broker', detail: `it hung up: ${detail}` };
  if (socket !== undefined) return { kind: socket, detail };
  // ioredis could not read the answer as RESP; it adds a plea for a bug report.
  if (opened && code === undefined) return { kind: 'not-broker', detail: `it answered in another protocol: ${detail.replace(/\. Please report this\.$/, '')}` };
  return undefined;
}

/** A Redis error reply, as ioredis raises it: its code and the command it answered. */
function replyOf(error: unknown): { code: string; command: string | undefined } | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  const command = (error as { command?: { name?: unknown } }).command?.name;
  return { code: /^\S+/.exec(error.message)?.[0] ?? '', command: typeof command === 'string' ? command.toLowerCase() : undefined };
}

// Replies that say "not now" rather than "no": a server still loading its data, busy in a script, failing over.
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'CLUSTERDOWN']);

/**
 * Whether a failed command is worth trying again: any failure to reach
 * the server (the connection is down, closed mid-command, or the command
 * could not be written), or a reply from the list above. Any other reply
 * (WRONGTYPE, NOPERM, OOM…) is the server's answer and would be again.
 */
export function isTransientRedisError(error: unknown): boolean {
  const reply = replyOf(error);
  return reply === undefined ? error instanceof Error : TRANSIENT_REPLIES.has(reply.code);
}

/** The command a Redis error reply answered, if the error is one. */
export const refusedCommand = (error: unknown): string | undefined => replyOf(error)?.command;

// NOAUTH goes on for a line about HELLO's syntax; its first clause says it all.
const firstClause = (message: string): string => (message.split('\n')[0] ?? message).split(/[,.](?:\s|$)/)[0] ?? message;
