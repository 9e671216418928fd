/**
 * The `heartbeat` control broadcast `celery events` sends when it starts
 * (EventReceiver.wakeup_workers): every worker answers at once with a
 * heartbeat, so a camera sees the live workers without waiting a full
 * heartbeat interval. Wire format from tests/fixtures/celery-5.2.6/control-messages.json
 * (AMQP) and celery-5.2.6-redis/control-messages.json (Redis). Pure.
 */
import type { OutboundMessage } from '../../broker/fanout.js';
import { requestMessage } from '../../control/pidbox.js';

export { PIDBOX_EXCHANGE } from '../../control/pidbox.js';

/** Celery's default reply timeout: a worker may still act on the broadcast for 1 s. */
const BROADCAST_TTL_MS = 1000;

export function heartbeatBroadcast(clock: number, nowMs: number): OutboundMessage {
  return requestMessage({ method: 'heartbeat', arguments: {}, expectsReply: false }, { clock, nowMs, timeoutMs: BROADCAST_TTL_MS });
}
