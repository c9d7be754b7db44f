import type { Clock } from "../account/clock";

/** Raised when a wait is abandoned because its execution stopped; never seen by ASL Retry/Catch. */
export class WaitAbortedError extends Error {
  constructor() {
    super("The wait was aborted");
    this.name = "WaitAbortedError";
  }

  /** Read by aws-local-stepfunctions: an abort is neither retried nor caught. */
  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}

type Waiter = { at: number; resolve: () => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

/** setTimeout's ceiling; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits on the simulated clock. A waiter wakes when simulated now reaches its target: on a real timer (simulated time
 * runs at real speed between advances) or on `check()`, which the runtime calls on every account tick and right after
 * the clock is advanced, so a 30-day wait ends as soon as the clock is fast-forwarded past it.
 */
export class SimClock {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now();
  }

  /** Resolves when simulated now ≥ `at`; rejects with WaitAbortedError when `signal` aborts first. */
  until(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new WaitAbortedError());
    if (this.clock.now() >= at) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        at,
        resolve: () => {
          this.drop(waiter);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (e) => {
          this.drop(waiter);
          reject(e);
        },
      };
      const onAbort = () => waiter.reject(new WaitAbortedError());
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      this.arm(waiter);
    });
  }

  /** Sleeps `ms` of simulated time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.until(this.clock.now() + Math.max(0, ms), signal);
  }

  /** Wakes every waiter that is due; called on account ticks and clock advances. */
  check(): void {
    const now = this.clock.now();
    for (const waiter of [...this.waiters]) if (now >= waiter.at) waiter.resolve();
  }

  /** The earliest wake-up time strictly after `after`: a clock advance stops there, so the wait ends at its own time. */
  nextDue(after: number): number | undefined {
    let next: number | undefined;
    for (const { at } of this.waiters) if (at > after && (next === undefined || at < next)) next = at;
    return next;
  }

  /** Rejects every pending wait (runtime shutdown). */
  abortAll(): void {
    for (const waiter of [...this.waiters]) waiter.reject(new WaitAbortedError());
  }

  get pending(): number {
    return this.waiters.size;
  }

  private arm(waiter: Waiter): void {
    const remaining = waiter.at - this.clock.now();
    waiter.timer = setTimeout(
      () => {
        if (this.clock.now() >= waiter.at) waiter.resolve();
        else if (this.waiters.has(waiter)) this.arm(waiter);
      },
      Math.min(Math.max(remaining, 1), MAX_TIMER_MS),
    );
    waiter.timer.unref();
  }

  private drop(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }
}
