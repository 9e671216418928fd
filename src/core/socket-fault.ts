/** What Node's socket and DNS error codes mean for a server named in a URL (the database's or the broker's). */
export type SocketFault = 'host-not-found' | 'unreachable' | 'timeout';

const SOCKET_FAULTS: Readonly<Record<string, SocketFault>> = {
  ENOTFOUND: 'host-not-found',
  EAI_AGAIN: 'host-not-found',
  ECONNREFUSED: 'unreachable',
  ECONNRESET: 'unreachable',
  ECONNABORTED: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EPIPE: 'unreachable',
  ETIMEDOUT: 'timeout',
};

export const socketFault = (code: unknown): SocketFault | undefined =>
  typeof code === 'string' && Object.hasOwn(SOCKET_FAULTS, code) ? SOCKET_FAULTS[code] : undefined;

/** A connection lost, refused or timed out: trying again later may work (a host DNS does not know will not). */
export const isSocketTrouble = (code: unknown): boolean => {
  const fault = socketFault(code);
  return fault === 'unreachable' || fault === 'timeout';
};
