import type { TaskMeta } from "../asl-rewrite";
import { readPath } from "../json-path";
import { statesRuntime } from "../task-errors";

/**
 * The simulated time a Wait state ends, from Seconds/Timestamp/SecondsPath/TimestampPath against its input
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html).
 */
export function waitTarget(meta: TaskMeta, input: unknown, now: number): number {
  const wait = meta.wait ?? {};
  if (wait.Seconds !== undefined) return now + wait.Seconds * 1000;
  if (wait.Timestamp !== undefined) return timestamp(wait.Timestamp, meta.name);
  const path = wait.SecondsPath ?? wait.TimestampPath;
  if (path === undefined) throw statesRuntime(`Wait state '${meta.name}' has no duration`);
  const found = readPath(input, path);
  if (!found.found) throw statesRuntime(`Wait state '${meta.name}': path '${path}' does not point to a value`);
  if (wait.SecondsPath !== undefined) {
    if (!Number.isInteger(found.value) || (found.value as number) < 0) {
      throw statesRuntime(
        `Wait state '${meta.name}': ${path} must be a non-negative integer, got ${JSON.stringify(found.value)}`,
      );
    }
    return now + (found.value as number) * 1000;
  }
  if (typeof found.value !== "string") {
    throw statesRuntime(
      `Wait state '${meta.name}': ${path} must be an ISO-8601 timestamp, got ${JSON.stringify(found.value)}`,
    );
  }
  return timestamp(found.value, meta.name);
}

function timestamp(text: string, state: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw statesRuntime(`Wait state '${state}': '${text}' is not an ISO-8601 timestamp`);
  }
  return ms;
}
