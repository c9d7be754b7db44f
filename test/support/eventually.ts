/**
 * Polls `probe` every 50 ms until `done` holds, for at most 20 s, and returns what it saw; otherwise throws naming
 * `what` and the last value. For asynchronous effects on the local account (deliveries, executions, records).
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 400; i++) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}
