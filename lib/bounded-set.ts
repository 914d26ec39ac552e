// A set that forgets its oldest entries past a cap: remembered nonces must not grow without end
// when a hostile member sends fresh ones forever.
export class BoundedSet<T> {
  private readonly items = new Set<T>();

  constructor(private readonly cap: number) {}

  has(item: T): boolean {
    return this.items.has(item);
  }

  /** Adds `item`; past the cap, the oldest entry is forgotten. */
  add(item: T): void {
    this.items.delete(item);
    this.items.add(item);
    if (this.items.size > this.cap) {
      const oldest = this.items.values().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
  }

  get size(): number {
    return this.items.size;
  }
}
