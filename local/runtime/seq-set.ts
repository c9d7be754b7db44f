/**
 * A set of sequence numbers that also answers "which is the lowest" and "drop every one up to n" in O(log n):
 * a Set for membership beside a binary min-heap whose entries are removed lazily (a heap entry no longer in the Set
 * is skipped when it reaches the top). EventBridge delivery keeps thousands of events in flight at once, and its
 * cursor needs the lowest of them after every delivery.
 */
export class SeqSet {
  private readonly members = new Set<number>();
  private readonly heap: number[] = [];

  get size(): number {
    return this.members.size;
  }

  has(seq: number): boolean {
    return this.members.has(seq);
  }

  add(seq: number): void {
    if (this.members.has(seq)) return;
    this.members.add(seq);
    this.push(seq);
  }

  delete(seq: number): void {
    this.members.delete(seq);
    this.settle();
  }

  /** The lowest member, or undefined when empty. */
  min(): number | undefined {
    this.settle();
    return this.heap[0];
  }

  /** Removes every member ≤ `seq`. */
  deleteUpTo(seq: number): void {
    for (let low = this.min(); low !== undefined && low <= seq; low = this.min()) {
      this.members.delete(low);
      this.pop();
    }
  }

  /** Drops heap entries that were deleted from the set while the top is one of them. */
  private settle(): void {
    while (this.heap.length > 0 && !this.members.has(this.heap[0] as number)) this.pop();
    // Deleted entries below the top stay until they surface; bound them so the heap never outgrows the set by much.
    if (this.heap.length > 2 * this.members.size + 64) this.rebuild();
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const seq of this.members) this.push(seq);
  }

  private push(seq: number): void {
    const heap = this.heap;
    heap.push(seq);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= seq) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = seq;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
}
