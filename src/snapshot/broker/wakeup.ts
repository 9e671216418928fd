/**
 * The `heartbeat` control broadcast `celery events` sends when it starts
 * (EventReceiver.wakeup_workers): every worker answers at once with a
 * heartbeat, so a camera sees the live workers without waiting a full
 * heartbeat interval. Wire format from tests/fixtures/celery-5.2.6/control-messages.json. Pure.
 */
import type { Options } from 'amqplib';

export const PIDBOX_EXCHANGE = 'celery.pidbox';
/** As kombu's Mailbox declares it: fanout, not durable, not auto-delete. A mismatch closes the channel. */
export const PIDBOX_EXCHANGE_OPTIONS: Options.AssertExchange = { durable: false, autoDelete: false };

/** Seconds a worker may still act on the broadcast (Celery's default reply timeout is 1 s). */
const BROADCAST_TTL = 1;

export function heartbeatBroadcast(clock: number, nowMs: number): { body: Buffer; options: Options.Publish } {
  const body = '{"method": "heartbeat", "arguments": {}, "destination": null, "pattern": null, "matcher": null}';
  return {
    body: Buffer.from(body),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      headers: {
        // Typed, as Python sends them: amqplib would encode a small int as a byte py-amqp misreads.
        clock: { '!': 'int', value: clock },
        expires: { '!': 'double', value: nowMs / 1000 + BROADCAST_TTL },
      },
    },
  };
}
