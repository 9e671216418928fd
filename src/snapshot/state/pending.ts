/**
 * What the next snapshot must write: the entities changed since the last
 * drain, and rows handed back by a snapshot whose write failed. A row is a
 * whole picture of its entity, not a delta, so a handed-back row is only
 * kept while nothing newer exists: not if the entity changed after that
 * drain (the newer picture is pending, or left with a later snapshot that
 * hands back its own rows if it fails), nor if a later drain's row for the
 * same key was handed back already.
 */
export interface Versioned {
  /** Event count at the entity's last change. */
  changedAt: number;
}

export class PendingChanges<T extends Versioned, Row> {
  private readonly changed = new Map<string, T>();
  private readonly handedBack = new Map<string, { row: Row; drainedAt: number }>();

  constructor(
    private readonly toRow: (item: T) => Row,
    private readonly keyOf: (row: Row) => string,
  ) {}

  /** Holds the entity itself, so one evicted from memory before the snapshot is still written. */
  mark(key: string, item: T): void {
    this.changed.set(key, item);
  }

  /** Entities changed plus rows handed back: at most how many rows the next drain gives. */
  get size(): number {
    return this.changed.size + this.handedBack.size;
  }

  /**
   * Forgets up to `count` pending changes, oldest first: handed-back rows
   * (drained earliest) before entities, entities in the order they first
   * changed since the last drain. Returns how many were forgotten.
   */
  dropOldest(count: number): number {
    let dropped = 0;
    for (const key of this.handedBack.keys()) {
      if (dropped >= count) return dropped;
      this.handedBack.delete(key);
      dropped++;
    }
    for (const key of this.changed.keys()) {
      if (dropped >= count) return dropped;
      this.changed.delete(key);
      dropped++;
    }
    return dropped;
  }

  drain(): Row[] {
    const rows: Row[] = [];
    for (const [key, item] of this.changed) {
      rows.push(this.toRow(item));
      this.handedBack.delete(key);
    }
    for (const { row } of this.handedBack.values()) rows.push(row);
    this.changed.clear();
    this.handedBack.clear();
    return rows;
  }

  /** `drainedAt`: the event count when `rows` were drained; `current`: the entity memory holds for a key. */
  restore(rows: readonly Row[], drainedAt: number, current: (key: string) => T | undefined): void {
    for (const row of rows) {
      const key = this.keyOf(row);
      if (this.changed.has(key)) continue;
      const live = current(key);
      if (live !== undefined && live.changedAt > drainedAt) continue;
      const earlier = this.handedBack.get(key);
      if (earlier !== undefined && earlier.drainedAt > drainedAt) continue;
      this.handedBack.set(key, { row, drainedAt });
    }
  }
}
