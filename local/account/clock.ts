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
  private offsetMs: number;

  constructor(private readonly store: Store) {
    this.offsetMs = Number(store.getMeta("clock.offsetMs") ?? 0);
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("The clock only moves forward");
    this.offsetMs += ms;
    this.store.tx(() => this.store.setMeta("clock.offsetMs", String(this.offsetMs)));
    return this.now();
  }
}
