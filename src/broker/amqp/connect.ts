import { connect, type ChannelModel } from 'amqplib';
import { ConfigError } from '../../errors.js';
import { redactUrl } from '../url.js';
import { BrokerError, messageOf } from '../errors.js';
import { brokerFault } from './errors.js';

import { consoleLog, type BrokerLog } from '../log.js';

export { messageOf } from '../errors.js';
export { consoleLog, type BrokerLog } from '../log.js';

export interface ConnectOptions {
  /** Heartbeat in seconds; 0 turns heartbeats off. Default: what the broker suggests (60 on RabbitMQ). */
  heartbeat?: number;
  /** Default: warnings and errors to the console. */
  log?: BrokerLog;
  /** Milliseconds the connection may take to open. Default: the system's TCP timeout. */
  timeoutMs?: number;
}

/**
 * Opens an amqplib connection and reports its errors, closes and flow-control
 * blocks through `log`. The caller owns it and closes it.
 */
export async function connectBroker(url: string, options: ConnectOptions = {}): Promise<ChannelModel> {
  const log = options.log ?? consoleLog;
  const where = redactUrl(url);
  let target = url;
  if (options.heartbeat !== undefined) {
    checkHeartbeat(options.heartbeat);
    // amqplib reads the heartbeat from the URL's query only.
    const parsed = new URL(url);
    parsed.searchParams.set('heartbeat', String(options.heartbeat));
    target = parsed.toString();
  }
  let connection: ChannelModel;
  try {
    connection = await connect(target, options.timeoutMs === undefined ? undefined : { timeout: options.timeoutMs });
  } catch (error) {
    const fault = brokerFault(error);
    throw new BrokerError('E_BROKER_CONNECT', `cannot connect to ${where}: ${fault?.detail ?? messageOf(error)}`, { cause: error, ...(fault && { fault }) });
  }
  connection.on('error', (error: Error) => log('error', `connection to ${where} failed`, error));
  connection.on('close', (error?: Error) => {
    if (error) log('warn', `connection to ${where} closed`, error);
    else log('info', `connection to ${where} closed`);
  });
  // RabbitMQ blocks publishers during a memory or disk alarm; confirms stop coming.
  connection.on('blocked', (reason: string) => log('warn', `broker ${where} blocked publishing: ${reason}`));
  connection.on('unblocked', () => log('info', `broker ${where} unblocked publishing`));
  return connection;
}

/**
 * Opens and closes one connection, within `timeoutMs`: a BrokerError
 * E_BROKER_CONNECT with its `fault` when the broker cannot be used.
 */
export async function probeAmqp(url: string, timeoutMs = 2500): Promise<void> {
  const connection = await connectBroker(url, { timeoutMs, log: () => {} });
  await connection.close().catch(() => {});
}

export function checkHeartbeat(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 65535) {
    throw new ConfigError(`heartbeat must be a whole number of seconds from 0 to 65535 (got ${seconds})`);
  }
}
