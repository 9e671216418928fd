// The task id of a periodic run: the same for every send of that run, by
// any beat. A publish whose confirm was lost is given back and sent again;
// with a fresh random id the worker would see two tasks, with this one it
// sees the same task twice and the result backend keeps one row.
import { createHash } from 'node:crypto';
import { scheduledAt, type Entry } from './entry.js';

/** The UUID namespace of periodic runs (a UUIDv4 of this package, fixed forever). */
const RUN_NAMESPACE = Buffer.from('6f1c2a8e4b7d4e0f9a3c5d2b1e8f7a60', 'hex');

/**
 * A UUIDv5 of the entry (id and name) and its run: the instant the run is
 * scheduled for and the last run it follows. Both come from the row as the
 * claim found it, which a give-back restores; the time a beat sends it does
 * not enter, so two beats and a retry agree.
 */
export function runTaskId(entry: Entry): string {
  const at = scheduledAt(entry)?.toISOString() ?? '';
  return uuidV5(`${entry.id}\n${entry.name}\n${at}\n${entry.lastRunAt?.toISOString() ?? ''}`);
}

/** RFC 9562 §5.5: SHA-1 of namespace and name, with the version and variant bits set. */
export function uuidV5(name: string, namespace: Buffer = RUN_NAMESPACE): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
