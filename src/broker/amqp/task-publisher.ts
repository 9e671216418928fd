import { IllegalOperationError, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { declarationsFor } from '../../core/protocol/routing.js';
import { ConfigError, PrismaCeleryError } from '../../errors.js';
import type { TaskMessage } from '../../core/protocol/task-message.js';
import { PublisherLife } from '../publisher-life.js';
import { pauseBeforeRetry, publishSettings, sendWithin, SendTimeout, within, type PublishOptions, type PublishSettings } from '../send-policy.js';
import { checkHeartbeat, connectBroker, messageOf, type BrokerLog } from './connect.js';
import { BrokerError, replyCodeOf } from './errors.js';

export interface TaskPublisherOptions extends PublishOptions {
  /** Broker URL: the publisher connects, reconnects after a loss, and closes. */
  url?: string;
  /** Opens a connection the publisher then owns, e.g. with TLS options (instead of url). */
  connect?: () => Promise<ChannelModel>;
  /** An open connection the caller keeps owning: never closed or reopened here (instead of url). */
  connection?: ChannelModel;
  /** Heartbeat in seconds, with `url`. Default: the broker's suggestion. */
  heartbeat?: number;
}

interface Link {
  connection: ChannelModel;
  owned: boolean;
  closed: boolean;
  /** Queues declared on this connection; the broker keeps them, so once is enough. */
  declared: Set<string>;
  forget: () => void;
}

interface Lane {
  link: Link;
  channel: ConfirmChannel;
  closed: boolean;
  /** Why the broker closed the channel (carries the AMQP reply code). */
  closeError: Error | undefined;
}

// Our own errors that another attempt cannot cure (E_BROKER_CONNECT can be).
const FINAL_CODES: ReadonlySet<string> = new Set(['E_BROKER_CLOSED', 'E_PUBLISHER_STATE']);

// Channel closes that the same message would get again.
const REFUSAL_CODES: ReadonlySet<number> = new Set([
  311, // content too large
  403, // access refused
  404, // not found (no such exchange)
  405, // resource locked (exclusive queue)
  406, // precondition failed (declared differently)
]);

/**
 * Publishes task messages on a confirm channel: publish() resolves only once
 * the broker has confirmed the message. A nack, a lost connection or channel,
 * or a confirm timeout is retried with backoff (reconnecting if the
 * connection is ours), and after the last attempt publish() rejects with
 * E_PUBLISH_UNCONFIRMED. A send that is retried may have been enqueued
 * already, so delivery is at least once: the worker can see the same task
 * id twice. Before the first message for a queue it declares the queue as
 * Celery does. No I/O happens before start().
 */
export class TaskPublisher implements AsyncDisposable {
  private readonly settings: PublishSettings;
  private readonly source: { open: () => Promise<ChannelModel> } | { lent: ChannelModel };
  private readonly life = new PublisherLife();
  private link: Link | null = null;
  private lane: Lane | null = null;
  private opening: Promise<Lane> | null = null;

  constructor(options: TaskPublisherOptions) {
    const given = [options.url, options.connect, options.connection].filter((x) => x !== undefined).length;
    if (given !== 1) throw new ConfigError('TaskPublisher needs exactly one of url, connect or connection');
    if (options.heartbeat !== undefined) {
      if (options.url === undefined) throw new ConfigError('heartbeat applies to a url; set it on your own connection otherwise');
      checkHeartbeat(options.heartbeat);
    }
    this.settings = publishSettings(options);
    const { log } = this.settings;
    const { url, connect, connection, heartbeat } = options;
    if (connection) this.source = { lent: connection };
    else if (connect) this.source = { open: connect };
    else {
      const brokerUrl = url as string;
      this.source = { open: () => connectBroker(brokerUrl, { heartbeat, log }) };
    }
  }

  /** Connects (unless lent a connection) and opens the confirm channel. */
  async start(): Promise<void> {
    this.life.beginStart();
    try {
      await this.currentLane();
      this.life.started();
    } catch (error) {
      this.life.startFailed();
      if (error instanceof PrismaCeleryError) throw error;
      throw new BrokerError('E_BROKER_CONNECT', `cannot open a confirm channel: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Resolves once the broker has confirmed the message; see the class comment for failures. */
  publish(message: TaskMessage): Promise<void> {
    return this.life.track(message, () => this.send(message));
  }

  /**
   * Stops retries and waits up to closeTimeoutMs for sends under way; those
   * still unconfirmed then reject (E_PUBLISH_UNCONFIRMED: they may have
   * reached a queue). Then closes the channel and the connection if it is
   * ours, waiting for the broker as long again; a broker that does not
   * answer (a partition that drops packets) has the socket destroyed. So
   * close() ends within three times closeTimeoutMs whatever the broker does.
   */
  async close(): Promise<void> {
    const { closeTimeoutMs } = this.settings;
    if (!(await this.life.close(closeTimeoutMs, this.opening))) return;
    const { lane, link } = this;
    this.lane = null;
    this.link = null;
    if (lane && !lane.closed) await within(lane.channel.close().catch(() => {}), closeTimeoutMs);
    if (link) {
      link.forget();
      if (link.owned && !link.closed && !(await within(link.connection.close().catch(() => {}), closeTimeoutMs))) destroy(link.connection);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async send(message: TaskMessage): Promise<void> {
    const { maxAttempts, log } = this.settings;
    const label = `task ${message.id} (${message.properties.headers.task})`;
    let lastError: unknown;
    let attempts = 0;
    let refusedBefore = false;
    while (attempts < maxAttempts && !this.life.closed) {
      if (attempts > 0 && !refusedBefore && !(await pauseBeforeRetry(this.settings, attempts, this.life.closing.signal))) break;
      attempts++;
      let lane: Lane | undefined;
      try {
        await sendWithin(
          (async () => {
            lane = await this.currentLane();
            await this.declare(lane, message.queue);
            await confirmPublish(lane.channel, message);
          })(),
          this.settings,
          'confirm',
          this.life.abandoning.signal,
        );
        return;
      } catch (error) {
        if (error instanceof BrokerError && FINAL_CODES.has(error.code)) throw error;
        const replyCode = replyCodeOf(lane?.closeError) ?? replyCodeOf(error);
        const refused = replyCode !== undefined && REFUSAL_CODES.has(replyCode);
        // A refusal closes the channel for every message in flight on it, so
        // only a second refusal, on a fresh channel, is this message's own.
        if (error instanceof EncodingError || (refused && (refusedBefore || attempts >= maxAttempts))) {
          const reason = lane?.closeError ? messageOf(lane.closeError) : messageOf(error);
          throw new BrokerError(
            'E_PUBLISH_REFUSED',
            `${label} to exchange "${message.exchange}" with routing key "${message.routingKey}" was refused: ${reason}`,
            { cause: lane?.closeError ?? error, replyCode },
          );
        }
        refusedBefore = refused;
        lastError = error;
        // A timed-out channel may be stuck; the next attempt takes a fresh one.
        if (error instanceof SendTimeout && lane) this.drop(lane);
        if (!refused) log('warn', `${label} not confirmed (attempt ${attempts} of ${maxAttempts})`, error);
      }
    }
    const why = this.life.closed ? 'the publisher was closed' : `after ${attempts} attempts`;
    throw new BrokerError('E_PUBLISH_UNCONFIRMED', `${label} was not confirmed by the broker (${why}): ${messageOf(lastError)}`, {
      cause: lastError,
      replyCode: replyCodeOf(lastError),
    });
  }

  private currentLane(): Promise<Lane> {
    if (this.lane && !this.lane.closed) return Promise.resolve(this.lane);
    this.opening ??= this.openLane().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async openLane(): Promise<Lane> {
    const link = await this.currentLink();
    const channel = await link.connection.createConfirmChannel();
    const lane: Lane = { link, channel, closed: false, closeError: undefined };
    // Without an 'error' listener amqplib would throw out of its frame handler.
    channel.on('error', (error: Error) => {
      lane.closeError = error;
      this.settings.log('warn', 'the broker closed the publishing channel', error);
    });
    channel.on('close', () => {
      lane.closed = true;
    });
    if (this.life.closed) {
      await channel.close().catch(() => {});
      throw new BrokerError('E_PUBLISHER_STATE', 'the publisher was closed while connecting');
    }
    this.lane = lane;
    return lane;
  }

  private async currentLink(): Promise<Link> {
    if (this.link && !this.link.closed) return this.link;
    if ('lent' in this.source) {
      if (this.link) throw new BrokerError('E_BROKER_CLOSED', 'the connection given to TaskPublisher is closed; reopen it and make a new publisher');
      return (this.link = track(this.source.lent, false, this.settings.log));
    }
    this.link?.forget();
    const connection = await this.source.open();
    const link = track(connection, true, this.settings.log);
    if (this.life.closed) {
      await connection.close().catch(() => {});
      throw new BrokerError('E_PUBLISHER_STATE', 'the publisher was closed while connecting');
    }
    this.link = link;
    return link;
  }

  private async declare(lane: Lane, queue: string | null): Promise<void> {
    if (queue === null || lane.link.declared.has(queue)) return;
    const { exchange, queue: q, binding } = declarationsFor(queue);
    await lane.channel.assertExchange(exchange.name, exchange.type, exchange.options);
    await lane.channel.assertQueue(q.name, q.options);
    await lane.channel.bindQueue(binding.queue, binding.exchange, binding.routingKey);
    lane.link.declared.add(queue);
  }

  private drop(lane: Lane): void {
    lane.closed = true;
    if (this.lane === lane) this.lane = null;
    // Not awaited: a channel that stopped confirming may not answer close either.
    lane.channel.close().catch(() => {});
  }
}

function track(connection: ChannelModel, owned: boolean, log: BrokerLog): Link {
  const link: Link = { connection, owned, closed: false, declared: new Set(), forget: () => {} };
  const onClose = (): void => {
    link.closed = true;
  };
  connection.on('close', onClose);
  // amqplib throws an unheard 'error' out of its socket handler. connectBroker
  // listens already; a connection from a `connect` option may not.
  const onError = (error: Error): void => log('error', 'the publisher\'s connection failed', error);
  if (owned && connection.listenerCount('error') === 0) connection.on('error', onError);
  link.forget = () => {
    connection.off('close', onClose);
    connection.off('error', onError);
  };
  return link;
}

interface AmqplibConnection {
  toClosed?(capturedStack: string | undefined, error: Error): void;
  stream?: { destroy(): void };
}

/**
 * Drops a connection whose broker no longer answers: amqplib's close()
 * waits for the broker's close-ok, which never comes through a partition,
 * and it has no public way to give up. Its own teardown, toClosed(), stops
 * the heartbeat timers (which would keep the process alive) and the
 * channels; then the socket goes.
 */
function destroy(connection: ChannelModel): void {
  const inner = (connection as unknown as { connection?: AmqplibConnection }).connection;
  inner?.toClosed?.(undefined, new Error('the broker did not answer the close'));
  inner?.stream?.destroy();
}

function confirmPublish(channel: ConfirmChannel, message: TaskMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish(message.exchange, message.routingKey, message.content, message.properties, (error: unknown) =>
        error ? reject(error) : resolve(),
      );
    } catch (error) {
      reject(error instanceof IllegalOperationError ? error : new EncodingError(error));
    }
  });
}

/** amqplib refused to write the message (too large a header table, a bad property). */
class EncodingError extends Error {
  constructor(cause: unknown) {
    super(`amqplib could not encode the message: ${messageOf(cause)}`, { cause });
  }
}
