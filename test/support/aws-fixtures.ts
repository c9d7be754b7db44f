import { readFileSync } from "node:fs";
import { join } from "node:path";

const DIR = join(__dirname, "../events/aws");

/**
 * Repairs of examples AWS published as invalid JSON, each one character, named in SOURCES.md: the page's block stays
 * byte for byte in the file.
 */
const REPAIRS: Record<string, [string, string]> = {
  "cloudtrail-decrypt-failure": ['"errorCode": "IncorrectKeyException"\n', '"errorCode": "IncorrectKeyException",\n'],
};

/** One verbatim example of test/events/aws (SOURCES.md names its page). */
export function awsFixture(name: string): Record<string, unknown> {
  let text = readFileSync(join(DIR, `${name}.json`), "utf8");
  const repair = REPAIRS[name];
  if (repair) {
    if (!text.includes(repair[0])) throw new Error(`${name}.json no longer needs its repair: remove it from REPAIRS`);
    text = text.replace(repair[0], repair[1]);
  }
  return JSON.parse(text);
}

/**
 * A CloudTrail record in the EventBridge envelope the EventBridge User Guide documents (eb-events-structure): no page
 * shows a KMS record in its envelope, so the test builds it. "API calls with AWS CloudTrail do not include resource
 * ARNs": the envelope's `resources` is empty. Service events default to "AWS Service Event via CloudTrail".
 */
export function wrapCloudTrail(record: Record<string, unknown>, detailType?: string): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type":
      detailType ??
      (record.eventType === "AwsServiceEvent" ? "AWS Service Event via CloudTrail" : "AWS API Call via CloudTrail"),
    source: "aws.kms",
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** The JSON type of every path in a value: objects by their keys, arrays by their first element. */
export function shapeOf(value: unknown, path = ""): Record<string, string> {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const out: Record<string, string> = { [path || "$"]: type };
  if (type === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      Object.assign(out, shapeOf(v, path ? `${path}.${k}` : k));
    }
  } else if (type === "array" && (value as unknown[]).length > 0) {
    Object.assign(out, shapeOf((value as unknown[])[0], `${path}[]`));
  }
  return out;
}

/**
 * The paths present on one side only, or whose JSON type differs, between a local answer and AWS's documented one,
 * each as "path: local <type>, AWS <type>"; `allowed` paths and those `ignore` accepts are left out.
 */
export function shapeDifferences(
  local: unknown,
  documented: unknown,
  allowed: Set<string> = new Set(),
  ignore: (path: string, ours: string | undefined, theirs: string | undefined) => boolean = () => false,
): string[] {
  const ours = shapeOf(local);
  const theirs = shapeOf(documented);
  return [...new Set([...Object.keys(ours), ...Object.keys(theirs)])]
    .filter((path) => !allowed.has(path) && ours[path] !== theirs[path] && !ignore(path, ours[path], theirs[path]))
    .map((path) => `${path}: local ${ours[path] ?? "absent"}, AWS ${theirs[path] ?? "absent"}`)
    .sort();
}

/** An unsigned AWS JSON 1.1 call to the local account, for the body exactly as it sends it; throws on a non-200. */
export async function rawJsonCall(endpoint: string, target: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${target}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
