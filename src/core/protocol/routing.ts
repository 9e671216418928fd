import { ProtocolError } from './errors.js';

/** Celery's task_default_queue. */
export const DEFAULT_QUEUE = 'celery';

/** Where a task message goes, and which queue to declare before sending it. */
export interface Destination {
  exchange: string;
  routingKey: string;
  /** The queue Celery declares before publishing; null when sent through an explicit exchange. */
  queue: string | null;
}

export interface RouteOptions {
  queue?: string;
  exchange?: string;
  routingKey?: string;
}

/**
 * Celery 5.2.6 routes a task for a queue through the default exchange ""
 * with the queue name as routing key (it turns the queue's direct exchange
 * into the anonymous one), and sends through an explicit exchange unchanged.
 * Python also accepts half of an exchange/routing-key pair and quietly
 * falls back to the default queue; that surprise is refused here.
 */
export function resolveDestination(options: RouteOptions): Destination {
  const { queue, exchange, routingKey } = options;
  if (exchange !== undefined || routingKey !== undefined) {
    if (queue !== undefined) throw new ProtocolError('give either queue or exchange with routingKey, not both');
    if (exchange === undefined || routingKey === undefined) {
      throw new ProtocolError('exchange and routingKey go together: give both, or a queue');
    }
    checkName(exchange, 'exchange', true);
    checkName(routingKey, 'routingKey', true);
    return { exchange, routingKey, queue: null };
  }
  const name = queue ?? DEFAULT_QUEUE;
  checkName(name, 'queue', false);
  return { exchange: '', routingKey: name, queue: name };
}

/**
 * The declarations kombu makes for a Celery queue before publishing to it
 * (as listed by rabbitmqctl after a Python client sent to `celery` and
 * `interop.q`). A Python worker consuming the queue declares the same; any
 * other flag or argument gets 406 PRECONDITION_FAILED and closes the channel.
 */
export interface QueueDeclarations {
  exchange: {
    name: string;
    type: 'direct';
    options: { durable: true; autoDelete: false; internal: false; arguments: Record<string, never> };
  };
  queue: {
    name: string;
    options: { durable: true; exclusive: false; autoDelete: false; arguments: Record<string, never> };
  };
  binding: { queue: string; exchange: string; routingKey: string };
}

export function declarationsFor(queue: string): QueueDeclarations {
  checkName(queue, 'queue', false);
  return {
    exchange: {
      name: queue,
      type: 'direct',
      options: { durable: true, autoDelete: false, internal: false, arguments: {} },
    },
    queue: {
      name: queue,
      options: { durable: true, exclusive: false, autoDelete: false, arguments: {} },
    },
    binding: { queue, exchange: queue, routingKey: queue },
  };
}

// Names are AMQP short strings; an empty queue name would make the broker
// invent one, which nobody consumes.
function checkName(name: string, what: string, emptyAllowed: boolean): void {
  if (typeof name !== 'string') throw new ProtocolError(`${what} must be a string`);
  if (!emptyAllowed && name === '') throw new ProtocolError(`${what} must not be empty`);
  if (Buffer.byteLength(name, 'utf8') > 255) throw new ProtocolError(`${what} is longer than 255 bytes`);
}
