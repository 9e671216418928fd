/**
 * A link to the broker for broadcast traffic, whatever the transport: it
 * listens to one exchange (the event stream, or a control mailbox) and
 * publishes to others, and keeps itself connected. On AMQP a listener is a
 * queue of its own bound to the exchange; on Redis kombu turns such
 * exchanges into PUB/SUB channels. Either way, what is published while a
 * listener is disconnected never reaches it. Types only.
 */

/** A header as kombu sends it; `{'!': 'int' | 'double'}` fixes the AMQP field type, and is a plain number on Redis. */
export type HeaderValue = string | number | boolean | null | { '!': 'int' | 'double'; value: number };

export interface ExchangeSpec {
  name: string;
  /** What AMQP declares; Redis has no exchanges. */
  type: 'topic' | 'fanout' | 'direct';
  durable: boolean;
  autoDelete: boolean;
}

export interface OutboundMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  contentType: string;
  contentEncoding: string;
  /** 1 transient, 2 persistent. */
  deliveryMode: 1 | 2;
  priority: number;
  headers: Record<string, HeaderValue>;
  /**
   * The exchange is a direct one whose queues someone else declared (a
   * pidbox reply): on Redis the message is pushed onto the list of each
   * queue bound with its routing key, as kombu's _put does, instead of
   * PUBLISHed. AMQP routes it the same either way.
   */
  toQueues?: boolean;
}

export interface InboundMessage {
  routingKey: string;
  body: Buffer;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: Record<string, unknown>;
}

export interface ListenSpec {
  exchange: ExchangeSpec;
  /** `#` for every routing key (a topic exchange), `` for a fanout, the key itself for a direct exchange. */
  bindingKey: string;
  /**
   * The name of the queue a connection declares (AMQP: called once per
   * connection). Redis listens to a direct exchange through this queue's
   * list (called once), to the others on PUB/SUB.
   */
  queue: () => string;
  /** AMQP: x-message-ttl and x-expires of that queue, in ms. */
  queueTtlMs: number;
  queueExpiresMs: number;
  /**
   * AMQP only: the queue is one several listeners share (competing
   * consumers, each message to one of them), so it is not deleted when a
   * listener leaves, and its messages are acknowledged by acknowledge():
   * what a listener had not acknowledged when it went goes back to the
   * queue for another. Redis cannot share a PUB/SUB channel's messages.
   */
  shared?: boolean;
}

/** Everything delivered up to a point, on one connection; see FanoutLink.acknowledge. */
export interface DeliveryMark {
  readonly brand: 'DeliveryMark';
}

export type LinkStatus =
  /** Listening (if it listens) and able to publish; `source` is the AMQP queue or the Redis channel pattern. */
  | { type: 'connected'; source: string | null; reconnect: boolean }
  | { type: 'disconnected'; error: Error }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { type: 'setup-failed'; error: Error }
  | { type: 'publish-failed'; error: unknown }
  /** A message that is not what kombu sends (Redis: not a kombu envelope). */
  | { type: 'undecodable'; error: Error; source: string };

export interface FanoutLinkOptions {
  brokerUrl: string;
  /** Shown by the broker's connection list. */
  connectionName: string;
  listen?: ListenSpec;
  /** Exchanges published to, declared on AMQP on each connection. */
  declare?: readonly ExchangeSpec[];
  /**
   * Seconds within which a dead connection is noticed: the AMQP heartbeat
   * when the URL sets none (default the broker's), or the Redis PING
   * interval (default 25, kombu's health_check_interval).
   */
  heartbeatSeconds?: number;
  /** First reconnect delay in ms; default 500, doubled up to `reconnectMaxDelayMs` (30000). */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** On each (re)connection, once listening and before `connected` is reported: publish() works here. */
  onReady?: () => void;
  onMessage?: (message: InboundMessage) => void;
  onStatus: (status: LinkStatus) => void;
}

export interface FanoutLink {
  /** Rejects when the first connection fails; later losses are reconnected. */
  start(): Promise<void>;
  /** Sends what was published, then closes. */
  close(): Promise<void>;
  /** False when it cannot be sent now (disconnected): the caller keeps it. */
  publish(message: OutboundMessage): boolean;
  /** A shared listen's messages delivered so far; null when there are none to acknowledge. */
  mark(): DeliveryMark | null;
  /**
   * Acknowledges every message up to `mark`. Marks of an earlier connection
   * are ignored: the broker put those messages back when it closed.
   */
  acknowledge(mark: DeliveryMark | null): void;
  readonly connected: boolean;
}
