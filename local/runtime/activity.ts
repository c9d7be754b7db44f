/**
 * Work under way in the local runtime that can go on without the simulated clock moving: an execution between states
 * or running a task, a Lambda invocation, an EventBridge delivery. A clock advance awaits `idle()` at every stop, so it
 * chooses the next stop only once what was runnable has finished or waits on a later simulated time (registered with
 * the SimClock, which the services' `nextDue` reports), a task token or another execution.
 *
 * Counted, not polled: whoever hands work on begins the next piece before it ends its own (or hands it on through a
 * promise, which `idle` lets run first), so the count is zero only when nothing is left to run.
 */
export class Activity {
  private count = 0;
  private waiters: (() => void)[] = [];
  private checking = false;

  /** One piece of work begins; the returned function ends it (calling it again does nothing). */
  begin(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count--;
      if (this.count === 0) this.check();
    };
  }

  /** Runs `fn` on the next turn of the event loop, counted as work until it has run. */
  defer(fn: () => void): void {
    const end = this.begin();
    setImmediate(() => {
      try {
        fn();
      } finally {
        end();
      }
    });
  }

  /**
   * Resolves once no work is under way. Checked on the next turn of the event loop, after the promise callbacks
   * pending now: a wait the clock just woke resumes its execution through promises, which count again before then.
   */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.check();
    });
  }

  private check(): void {
    if (this.checking || this.waiters.length === 0) return;
    this.checking = true;
    setImmediate(() => {
      this.checking = false;
      if (this.count > 0) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    });
  }
}
