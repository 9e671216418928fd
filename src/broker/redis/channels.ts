/**
 * Where kombu's Redis transport (fanout_prefix and fanout_patterns on, its
 * defaults since kombu 4) puts broadcast traffic: an exchange that is a
 * fanout on Redis (celery.pidbox, and celeryev, which Celery turns from a
 * topic into a fanout there) is a PUB/SUB channel named
 * `/{db}.{exchange}` plus `/{routing key}` when the message has one; a
 * listener PSUBSCRIBEs to its binding key with `#` read as `*`. The
 * database number is in the name because PUB/SUB ignores SELECT.
 * See tests/fixtures/celery-5.2.6-redis/commands.json. Pure.
 */

/** `/{db}.` */
export function fanoutPrefix(db: number): string {
  return `/${db}.`;
}

/** The channel a message to `exchange` with `routingKey` is PUBLISHed on. */
export function publishChannel(db: number, exchange: string, routingKey: string): string {
  return routingKey === '' ? `${fanoutPrefix(db)}${exchange}` : `${fanoutPrefix(db)}${exchange}/${routingKey}`;
}

/** The pattern a queue bound to `exchange` with `bindingKey` PSUBSCRIBEs to (`#` → `*`). */
export function subscribePattern(db: number, exchange: string, bindingKey: string): string {
  return publishChannel(db, exchange, bindingKey.replaceAll('#', '*'));
}

/** The routing key a message on `channel` was published with: what follows `/{db}.{exchange}/`, or `` . */
export function routingKeyOfChannel(channel: string, db: number, exchange: string): string {
  const base = `${fanoutPrefix(db)}${exchange}`;
  return channel.startsWith(`${base}/`) ? channel.slice(base.length + 1) : '';
}
