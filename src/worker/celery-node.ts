/**
 * Loads celery-node, an optional peer dependency, and names the parts of
 * its 0.5 Worker and brokers the worker command drives: typed here by
 * shape, so the package builds and loads without it.
 */
import type { CeleryNodeWorker } from '../backend/celery-node.js';
import type { EventsWorker } from '../snapshot/node-events/enable.js';
import { WorkerError } from './errors.js';

/** celery-node's amqplib message and channel, as far as they are used. */
export interface AmqpRawMessage {
  readonly fields: { exchange: string; routingKey: string; redelivered: boolean };
  readonly properties: { headers?: Record<string, unknown>; priority?: number };
}

export interface AmqpChannel {
  prefetch(count: number): Promise<unknown>;
  ack(message: AmqpRawMessage): void;
}

export interface AmqpConnection {
  on(event: 'close' | 'error', listener: (error?: Error) => void): unknown;
}

export interface NodeBroker {
  subscribe(queue: string | readonly string[], callback: (message: unknown) => unknown): Promise<unknown>;
  disconnect(): Promise<unknown>;
  /** AMQP only. */
  readonly channel?: Promise<AmqpChannel>;
  readonly connect?: Promise<AmqpConnection>;
  /** Redis only: the one receive step of its loop, and its ioredis client. */
  receiveOne?: (queue: string | readonly string[]) => Promise<unknown>;
  readonly redis?: {
    sadd(key: string, member: string): Promise<unknown>;
    /** As the receive step calls it: the lists, then the seconds to wait. */
    brpop: (lists: readonly string[], seconds: string) => Promise<unknown>;
    on(event: 'error', listener: (error: Error) => void): unknown;
    disconnect(): void;
  };
}

export interface NodeWorker extends CeleryNodeWorker, EventsWorker {
  readonly conf: { CELERY_BROKER: string; CELERY_QUEUE: string };
  readonly handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  readonly broker: NodeBroker;
  readonly backend: { storeResult(taskId: string, result: unknown, state: string): Promise<void>; disconnect(): Promise<void> };
  register(name: string, handler: (...args: unknown[]) => unknown): void;
  isReady(): Promise<unknown>;
}

interface CeleryNodeModule {
  createWorker(broker: string, backend: string, queue: string): unknown;
}

/** What a failed import of celery-node becomes: the one-line WorkerError when it is not installed, else the error itself. */
export function celeryNodeImportError(error: unknown): unknown {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes("'celery-node'");
  return missing ? new WorkerError('E_WORKER_PEER', 'the worker runs on celery-node, which is not installed: npm install celery-node@0.5', { cause: error }) : error;
}

/** A celery-node Worker; a one-line WorkerError when celery-node is not installed. */
export async function createNodeWorker(brokerUrl: string, queue: string): Promise<NodeWorker> {
  let module: CeleryNodeModule;
  try {
    module = (await import('celery-node')) as unknown as CeleryNodeModule;
  } catch (error) {
    throw celeryNodeImportError(error);
  }
  // The backend URL is never used: the result backend is attached before anything reads it.
  return module.createWorker(brokerUrl, 'amqp://', queue) as NodeWorker;
}
