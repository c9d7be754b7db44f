import type { KeyStores } from "../../ports/key-stores";

/** Counts the KMS calls a step makes and the throttles it met, for the report and the benchmark. */
export type CallCounter = { calls: number; throttled: number };

const isThrottle = (error: unknown) =>
  (error as Error)?.name === "ThrottlingException" || (error as Error)?.name === "TooManyRequestsException";

/**
 * Runs one call with backoff on throttling (full jitter, capped), at most `attempts` tries; other errors propagate at
 * once. `onThrottle` lets a caller shrink its concurrency (adaptive backoff).
 */
export async function withBackoff<T>(
  call: () => Promise<T>,
  counter: CallCounter,
  sleep: (ms: number) => Promise<void>,
  options: { attempts?: number; onThrottle?: () => void } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    counter.calls++;
    try {
      return await call();
    } catch (error: unknown) {
      if (!isThrottle(error) || attempt >= attempts) throw error;
      counter.throttled++;
      options.onThrottle?.();
      await sleep(Math.random() * Math.min(5_000, 100 * 2 ** attempt));
    }
  }
}

/**
 * The key stores port with withBackoff around every call, counted in `counter`. Each KeyStores call is one KMS
 * request (listings go page by page), so the count is KMS's.
 */
export function throttled(
  keyStores: KeyStores,
  counter: CallCounter,
  sleep: (ms: number) => Promise<void>,
  options: { attempts?: number; onThrottle?: () => void } = {},
): Pick<KeyStores, "get" | "describeKey" | "keyArnPage"> {
  return {
    get: (id) => withBackoff(() => keyStores.get(id), counter, sleep, options),
    describeKey: (arn) => withBackoff(() => keyStores.describeKey(arn), counter, sleep, options),
    keyArnPage: (marker) => withBackoff(() => keyStores.keyArnPage(marker), counter, sleep, options),
  };
}

/**
 * Runs `fn` over `items` with a concurrency that halves on every throttle and grows back by one after a run of
 * successes (AIMD), between 1 and `max`.
 */
export async function mapAdaptive<T, R>(
  items: readonly T[],
  max: number,
  fn: (item: T, onThrottle: () => void) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let limit = Math.max(1, Math.min(max, 4));
  let streak = 0;
  let next = 0;
  let active = 0;
  const onThrottle = () => {
    limit = Math.max(1, Math.floor(limit / 2));
    streak = 0;
  };
  return new Promise<R[]>((resolve, reject) => {
    let failed = false;
    const pump = () => {
      if (failed) return;
      if (next >= items.length && active === 0) {
        resolve(results);
        return;
      }
      while (active < limit && next < items.length) {
        const index = next++;
        active++;
        fn(items[index] as T, onThrottle).then(
          (value) => {
            results[index] = value;
            active--;
            if (++streak >= 20 && limit < max) {
              limit++;
              streak = 0;
            }
            pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    pump();
  });
}
