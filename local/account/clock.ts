import type { Store } from "./store";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses durations such as `31d`, `20m`, `1h30m`, `500ms`; throws a message naming the bad value. */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim()) {
    throw new Error(`Invalid duration '${text}': use e.g. 31d, 20m, 1h30m, 45s`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/**
 * Simulated time: real time plus a persisted offset, so a 30-day deletion window passes with one `advance`.
 * Everything in the local account that depends on time reads `now()`.
 */
export class Clock {
  /**
   * The offset in ms, in shared memory: Lambda worker threads read it (`lambda-worker.cjs`), so `Date.now()` and
   * `new Date()` in a handler follow this clock without any message passing.
   */
  readonly shared = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  private readonly offset = new BigInt64Array(this.shared);

  constructor(private readonly store: Store) {
    Atomics.store(this.offset, 0, BigInt(Math.round(Number(store.getMeta("clock.offsetMs") ?? 0))));
  }

  get offsetMs(): number {
    return Number(Atomics.load(this.offset, 0));
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("The clock only moves forward");
    const next = this.offsetMs + Math.round(ms);
    this.store.tx(() => this.store.setMeta("clock.offsetMs", String(next)));
    Atomics.store(this.offset, 0, BigInt(next));
    return this.now();
  }
}
