/**
 * The `heartbeat` control broadcast `celery events` sends when it starts
 * (EventReceiver.wakeup_workers): every worker answers at once with a
 * heartbeat, so a camera sees the live workers without waiting a full
 * heartbeat interval. Wire format from tests/fixtures/celery-5.2.6/control-messages.json
 * (AMQP) and celery-5.2.6-redis/control-messages.json (Redis). Pure.
 */
import type { ExchangeSpec, OutboundMessage } from '../../broker/fanout.js';

/** As kombu's Mailbox declares it: fanout, not durable, not auto-delete. A mismatch closes the channel. */
export const PIDBOX_EXCHANGE: ExchangeSpec = { name: 'celery.pidbox', type: 'fanout', durable: false, autoDelete: false };

/** Seconds a worker may still act on the broadcast (Celery's default reply timeout is 1 s). */
const BROADCAST_TTL = 1;

export function heartbeatBroadcast(clock: number, nowMs: number): OutboundMessage {
  const body = '{"method": "heartbeat", "arguments": {}, "destination": null, "pattern": null, "matcher": null}';
  return {
    exchange: PIDBOX_EXCHANGE.name,
    routingKey: '',
    body: Buffer.from(body),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: {
      // Typed, as Python sends them: amqplib would encode a small int as a byte py-amqp misreads.
      clock: { '!': 'int', value: clock },
      expires: { '!': 'double', value: nowMs / 1000 + BROADCAST_TTL },
    },
  };
}
