// A bounded record of events: the last `capacity` entries plus counters, so
// that a guest storm (a PMCSR write loop, an interrupt flood, a DMA fault
// loop) costs the platform constant memory. `total` counts every event ever
// recorded; `dropped` how many fell off the front.

export class Ring<T> implements Iterable<T> {
  private readonly slots: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** Every event recorded, kept or not. */
  total = 0;

  constructor(readonly capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("a ring needs a capacity of at least 1");
    this.slots = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.total++;
    if (this.count < this.capacity) {
      this.slots[(this.start + this.count) % this.capacity] = item;
      this.count++;
      return;
    }
    this.slots[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Entries kept (at most `capacity`). */
  get length(): number {
    return this.count;
  }

  /** Events no longer kept. */
  get dropped(): number {
    return this.total - this.count;
  }

  /** The kept entry at `index` (negative counts from the newest), as Array.prototype.at. */
  at(index: number): T | undefined {
    const i = index < 0 ? this.count + index : index;
    if (i < 0 || i >= this.count) return undefined;
    return this.slots[(this.start + i) % this.capacity];
  }

  clear(): void {
    this.slots.fill(undefined);
    this.start = 0;
    this.count = 0;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.slots[(this.start + i) % this.capacity] as T);
    return out;
  }

  map<U>(f: (item: T) => U): U[] {
    return this.toArray().map(f);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.start + i) % this.capacity] as T;
  }
}
