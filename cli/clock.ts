import { parseDuration } from "../local/account/clock";
import { UsageError } from "./errors";
import type { LocalTarget } from "./target";

/** Checks a duration the way the local account will (`31d`, `20m`, `1h30m`), before anything is sent. */
export function checkDuration(text: string): string {
  try {
    parseDuration(text);
    return text.trim();
  } catch (error: unknown) {
    throw new UsageError((error as Error).message);
  }
}

async function control<T>(target: LocalTarget, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  if (!target.token) {
    throw new UsageError(
      `No token for the local account's control routes: set LOCAL_ACCOUNT_TOKEN to the token it printed at start${target.tokenFile ? `, or make ${target.tokenFile} readable to this user` : ""}`,
    );
  }
  const res = await fetch(`${target.endpoint}${path}`, {
    method,
    headers: { "content-type": "application/json", "x-local-account-token": target.token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T & { message?: string };
  if (!res.ok)
    throw new UsageError(`${method} ${path} failed (${res.status}): ${json.message ?? JSON.stringify(json)}`);
  return json;
}

/**
 * POST /_local/clock/advance: moves the local account's simulated clock forward; answers once what fell due inside the
 * jump has run, with notes on anything it did not wait for or skipped.
 */
export async function advanceClock(
  target: LocalTarget,
  by: string,
): Promise<{ before: string; now: string; notes: string[] }> {
  const before = await control<{ now: string }>(target, "GET", "/_local/clock");
  const after = await control<{ now: string; notes?: string[] }>(target, "POST", "/_local/clock/advance", {
    by: checkDuration(by),
  });
  return { before: before.now, now: after.now, notes: after.notes ?? [] };
}

/** GET /_local/clock: the local account's simulated time. */
export async function readClock(target: LocalTarget): Promise<{ now: string }> {
  return control<{ now: string }>(target, "GET", "/_local/clock");
}
