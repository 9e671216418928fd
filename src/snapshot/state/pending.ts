/**
 * What the next snapshot must write: the entities changed since the last
 * drain, and rows handed back by a snapshot whose write failed. A row is a
 * whole picture of its entity, not a delta, so an entity is pending once
 * however often it changes (the cap on pending changes is a cap on
 * distinct entities), and a handed-back row is only kept while nothing
 * newer exists: not if the entity changed after that drain (the newer
 * picture is pending, or left with a later snapshot that hands back its
 * own rows if it fails), nor if a later drain's row for the same key was
 * handed back already.
 */
export interface Versioned {
  /** Event count at the entity's last change. */
  changedAt: number;
}

/** A pending change as dropOrder sees it: the entity, or only its row when handed back and no longer in memory. */
export type PendingEntry<T, Row> = { item: T; row?: undefined } | { item: T | undefined; row: Row };

export class PendingChanges<T extends Versioned, Row> {
  /** Entity and when it first changed since the last drain (epoch ms); insertion order is that order. */
  private readonly changed = new Map<string, { item: T; since: number }>();
  private readonly handedBack = new Map<string, { row: Row; drainedAt: number; since: number }>();

  constructor(
    private readonly toRow: (item: T) => Row,
    private readonly keyOf: (row: Row) => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Holds the entity itself, so one evicted from memory before the snapshot is still written. */
  mark(key: string, item: T): void {
    const entry = this.changed.get(key);
    if (entry === undefined) this.changed.set(key, { item, since: this.now() });
    else entry.item = item;
  }

  /** Entities changed plus rows handed back: at most how many rows the next drain gives. */
  get size(): number {
    return this.changed.size + this.handedBack.size;
  }

  /** When the oldest change still pending was made (epoch ms), or null when none is. */
  get oldestSince(): number | null {
    let oldest: number | null = null;
    for (const map of [this.changed, this.handedBack]) {
      // Both maps are in the order their entries became pending.
      for (const { since } of map.values()) {
        if (oldest === null || since < oldest) oldest = since;
        break;
      }
    }
    return oldest;
  }

  /**
   * Forgets up to `count` pending changes: those `rank` puts first before
   * the others, and the oldest first within a rank (handed-back rows, then
   * entities in the order they changed). `current` finds the entity of a
   * handed-back row. Returns how many were forgotten of each rank.
   */
  drop(count: number, ranks: number, rank: (entry: PendingEntry<T, Row>) => number, current: (key: string) => T | undefined): number[] {
    const dropped = new Array<number>(ranks).fill(0);
    let left = count;
    for (let r = 0; r < ranks && left > 0; r++) {
      for (const [key, entry] of this.handedBack) {
        if (left === 0) break;
        if (rank({ item: current(key), row: entry.row }) !== r) continue;
        this.handedBack.delete(key);
        dropped[r] = (dropped[r] ?? 0) + 1;
        left--;
      }
      for (const [key, entry] of this.changed) {
        if (left === 0) break;
        if (rank({ item: entry.item }) !== r) continue;
        this.changed.delete(key);
        dropped[r] = (dropped[r] ?? 0) + 1;
        left--;
      }
    }
    return dropped;
  }

  /**
   * The rows, and when the oldest of them became pending (null when there
   * are none). With `limit`, at most that many, the oldest (handed-back
   * rows, then entities in the order they changed); the rest stay pending.
   */
  drain(limit = Infinity): { rows: Row[]; since: number | null } {
    const since = this.oldestSince;
    const rows: Row[] = [];
    if (limit < this.size) {
      for (const [key, { row }] of this.handedBack) {
        if (rows.length >= limit) break;
        this.handedBack.delete(key);
        // A changed entity's own row is newer than the one handed back.
        if (!this.changed.has(key)) rows.push(row);
      }
      for (const [key, { item }] of this.changed) {
        if (rows.length >= limit) break;
        rows.push(this.toRow(item));
        this.changed.delete(key);
      }
      return { rows, since };
    }
    for (const [key, { item }] of this.changed) {
      rows.push(this.toRow(item));
      this.handedBack.delete(key);
    }
    for (const { row } of this.handedBack.values()) rows.push(row);
    this.changed.clear();
    this.handedBack.clear();
    return { rows, since };
  }

  /**
   * `drainedAt`: the event count when `rows` were drained; `since`: when the
   * oldest of them became pending; `current`: the entity memory holds for a key.
   */
  restore(rows: readonly Row[], drainedAt: number, since: number, current: (key: string) => T | undefined): void {
    for (const row of rows) {
      const key = this.keyOf(row);
      if (this.changed.has(key)) continue;
      const live = current(key);
      if (live !== undefined && live.changedAt > drainedAt) continue;
      const earlier = this.handedBack.get(key);
      if (earlier !== undefined && earlier.drainedAt > drainedAt) continue;
      this.handedBack.set(key, { row, drainedAt, since: Math.min(since, earlier?.since ?? since) });
    }
  }
}
