/**
 * kombu's health_check_interval on its Redis transport: a connection is
 * PINGed every interval, and one that has not answered by the next is
 * dropped, so ioredis reconnects. Without it a connection whose peer is
 * gone without a reset (a partition) looks up forever: a subscriber deaf,
 * a publisher writing into the void. PING is allowed in subscribe mode.
 */
import type { Redis } from 'ioredis';

/** Starts checking `client`; returns the stop. */
export function checkHealth(client: Redis, intervalMs: number): () => void {
  let unanswered: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (client.status !== 'ready') {
      unanswered = null;
      return;
    }
    if (unanswered !== null) {
      unanswered = null;
      client.disconnect(true);
      return;
    }
    const ping = client.ping().catch(() => {});
    unanswered = ping;
    void ping.then(() => {
      if (unanswered === ping) unanswered = null;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
