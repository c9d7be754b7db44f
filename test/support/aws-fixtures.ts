import { readFileSync } from "node:fs";
import { join } from "node:path";

const DIR = join(__dirname, "../events/aws");

/** One verbatim example of test/events/aws (SOURCES.md names its page). */
export function awsFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8"));
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
