import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import type { SelfCheckResult } from "../src/preflight/self-check";
import { ClusterIdSchema } from "../src/validation";
import { UsageError } from "./errors";
import type { CheckResult } from "./preflight";
import { redactText } from "./redact";
import { sdkConfig, type Target } from "./target";

/** The self-check's function key in serverless.yml; its name is `keystore-autopilot-<stage>-selfCheck`. */
export const SELF_CHECK_FUNCTION = "selfCheck";
export const selfCheckFunctionName = (stage: string) => `keystore-autopilot-${stage}-${SELF_CHECK_FUNCTION}`;

/** --cluster-id: a CloudHSM cluster id, or UsageError naming the option. */
export function parseClusterId(value: string): string {
  const parsed = ClusterIdSchema.safeParse(value);
  if (!parsed.success)
    throw new UsageError(`--cluster-id: '${value}' is not a cluster id (cluster- and 11 characters)`);
  return parsed.data;
}

/** What an invocation gave back: the handler's result, or the error Lambda reported. */
export type SelfCheckInvocation =
  | { ok: true; result: unknown }
  | { ok: false; errorType: string; errorMessage: string };

/** The checks the function returned, as the CLI reports them; anything else is one FAIL naming what came back. */
export function toCheckResults(invocation: SelfCheckInvocation, functionName: string): CheckResult[] {
  if (!invocation.ok && invocation.errorType === "ResourceNotFoundException") {
    return [
      {
        check: "self-check function",
        status: "FAIL",
        detail: `${functionName}: ${invocation.errorMessage}`,
        fix: "deploy the stack (npx osls deploy --stage <stage> --region <region>), or pass the --stage it was deployed with",
      },
    ];
  }
  if (!invocation.ok) {
    return [
      {
        check: "self-check function",
        status: "FAIL",
        detail: `${functionName} failed: ${invocation.errorType}: ${redactText(invocation.errorMessage)}`,
        fix: `read its log group /aws/lambda/${functionName}; a timeout means the function could not reach what it checks from its VPC`,
      },
    ];
  }
  const checks = (invocation.result as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) {
    return [
      {
        check: "self-check function",
        status: "FAIL",
        detail: `${functionName} returned no list of checks`,
        fix: "deploy this version of the stack (npx osls deploy) so the function and the CLI agree",
      },
    ];
  }
  return (checks as SelfCheckResult[]).map((c) => ({
    check: c.check,
    status: c.ok ? "PASS" : "FAIL",
    detail: c.detail,
    ...(c.fix ? { fix: c.fix } : {}),
  }));
}

/**
 * Invokes the deployed selfCheck function synchronously (Lambda API Reference, Invoke: InvocationType
 * RequestResponse; a handler error comes back as FunctionError with the error in the payload). On the local account the
 * function runs on the local runtime, from the serverless.yml it deployed (invoke.ts).
 */
export async function invokeSelfCheck(
  target: Target,
  input: { clusterId?: string },
): Promise<{ functionName: string; invocation: SelfCheckInvocation }> {
  if (target.kind === "local") {
    const { invokeLocally } = await import("./invoke");
    const { functionName, result } = await invokeLocally(target, { function: SELF_CHECK_FUNCTION, event: input });
    return {
      functionName,
      invocation: result.ok
        ? { ok: true, result: result.result }
        : { ok: false, errorType: result.error.errorType, errorMessage: result.error.errorMessage },
    };
  }
  const functionName = selfCheckFunctionName(target.stage);
  const lambda = new LambdaClient(sdkConfig(target));
  let out: InvokeCommandOutput;
  try {
    out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(input)),
      }),
    );
  } catch (error: unknown) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
    return {
      functionName,
      invocation: {
        ok: false,
        errorType: "ResourceNotFoundException",
        errorMessage: "no such function in this account and Region",
      },
    };
  }
  const text = new TextDecoder().decode(out.Payload ?? new Uint8Array());
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    payload = text;
  }
  if (out.FunctionError) {
    const error = (payload ?? {}) as { errorType?: string; errorMessage?: string };
    return {
      functionName,
      invocation: {
        ok: false,
        errorType: error.errorType ?? out.FunctionError,
        errorMessage: error.errorMessage ?? String(text),
      },
    };
  }
  return { functionName, invocation: { ok: true, result: payload } };
}
