/**
 * Remembers the earliest simulated time at which something in KMS is due (a connect or disconnect settling, a key
 * deletion), so the tick that runs before every request costs nothing until then. Only ever lowered by operations;
 * recomputed from the records by a full pass, and unknown (so recomputed) after a restart or a failed pass.
 */
export class DueTimes {
  private next: number | undefined;

  /** An operation scheduled something at `at`. */
  wake(at: number): void {
    if (this.next !== undefined) this.next = Math.min(this.next, at);
  }

  /** Whether a full pass is needed at `now`. */
  isDue(now: number): boolean {
    return this.next === undefined || now >= this.next;
  }

  /** Call before a full pass; `settled` after it with the earliest time still pending. */
  begin(): void {
    this.next = undefined;
  }

  settled(next: number): void {
    this.next = next;
  }
}
