import { randomBytes } from "node:crypto";
import type { SfnPort } from "../src/adapters/clients/types";
import { StepFunctionsExecutions } from "../src/adapters/executions";
import { UsageError } from "./errors";
import type { Workflow } from "./workflows";

/** Step Functions' execution name rules: 1–80 characters, none of whitespace, brackets, wildcards or punctuation. */
const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: string) => {
  const code = c.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
};

/** Checks a `--name` against those rules before anything is sent; the usage error names the bad character. */
export function checkExecutionName(name: string): string {
  if (name.length < 1 || name.length > 80) {
    throw new UsageError(`--name must be 1 to 80 characters, got ${name.length}`);
  }
  const bad = FORBIDDEN_NAME.exec(name)?.[0] ?? [...name].find(isControl);
  if (bad !== undefined) {
    throw new UsageError(`--name '${name}' contains ${JSON.stringify(bad)}, which execution names cannot contain`);
  }
  return name;
}

/** A readable unique default: `<workflow>-<UTC yyyymmddThhmmss>-<4 hex>`, e.g. describe-key-store-20260115T100000-3fa2. */
export function defaultExecutionName(workflow: string, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "");
  return `${workflow.slice(0, 58)}-${stamp}-${randomBytes(2).toString("hex")}`;
}

/**
 * StartExecution with an input already validated against the workflow's schema. Bad names and reused names are usage
 * errors (exit 2): Step Functions started nothing.
 */
export async function startExecution(
  sfn: SfnPort,
  request: { workflow: Workflow; stateMachineArn: string; name: string; input: unknown },
): Promise<{ executionArn: string }> {
  let out: Awaited<ReturnType<StepFunctionsExecutions["startOnce"]>>;
  try {
    out = await new StepFunctionsExecutions(sfn).startOnce({
      stateMachineArn: request.stateMachineArn,
      name: request.name,
      input: request.input,
    });
  } catch (error: unknown) {
    const name = (error as Error).name;
    if (name === "InvalidName" || name === "InvalidExecutionInput") {
      throw new UsageError(`StartExecution refused the request (${name}): ${(error as Error).message}`);
    }
    throw error;
  }
  if (!out.started) {
    throw new UsageError(
      `An execution named '${request.name}' already exists for ${request.workflow.name} with another input or has finished: pick another --name`,
    );
  }
  return { executionArn: out.executionArn as string };
}
