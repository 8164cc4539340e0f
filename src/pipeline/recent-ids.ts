/**
 * A bounded memory of recently delivered event ids. The deriver already emits each fact once while it tracks a
 * conversation; this catches the repeats it cannot see any more (a conversation evicted and then recovered by a
 * backfill, a restart without a checkpoint). Insertion order is eviction order.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Remembers the id; false when it was already remembered. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
