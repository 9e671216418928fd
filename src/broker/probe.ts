import { transportOf } from './url.js';

/**
 * Opens and closes one connection to the broker a URL names, within
 * `timeoutMs`: a BrokerError E_BROKER_CONNECT with its `fault` when the
 * broker cannot be used. Loads only the client library of that transport.
 */
export async function probeBroker(url: string, timeoutMs = 2500): Promise<void> {
  if (transportOf(url) === 'redis') {
    const { probeRedis } = await import('./redis/connect.js');
    return probeRedis(url, timeoutMs);
  }
  const { probeAmqp } = await import('./amqp/connect.js');
  return probeAmqp(url, timeoutMs);
}
