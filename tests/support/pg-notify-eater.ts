// What a client sees behind PgBouncer in transaction mode, where LISTEN is
// accepted and nothing ever arrives: a TcpProxy filter for PostgreSQL's
// server messages that passes everything but notifications.

/**
 * Server messages are a type byte and a 32-bit length (which counts
 * itself); 'A' is a NotificationResponse. A message split across chunks
 * waits for its end.
 */
export function dropNotifications(): (chunk: Buffer) => Buffer {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    const kept: Buffer[] = [];
    while (pending.length >= 5) {
      const size = 1 + pending.readInt32BE(1);
      if (pending.length < size) break;
      if (pending[0] !== 0x41) kept.push(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
    return Buffer.concat(kept);
  };
}
