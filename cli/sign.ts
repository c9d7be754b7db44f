import { readFileSync } from "node:fs";
import { DescribeExecutionCommand, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import { StepFunctionsExecutions } from "../src/adapters/executions";
import { callerArn } from "../src/caller-identity";
import type { SfnPort, StsPort } from "../src/ports/clients";
import { checkCertificates } from "../src/workflows/provision-key-store/certificates";
import { CertificateRejectedError } from "../src/workflows/provision-key-store/errors";
import { UsageError } from "./errors";

/**
 * The payload of provision-key-store's AwaitSignature task, as its TaskScheduled event records it. The token is read
 * only here, from the history (states:GetExecutionHistory): the event the task publishes never carries it.
 */
type SignatureRequest = { clusterId: string; keyStoreName: string; csr: string; taskToken: string };
const SIGNATURE_RESOURCE = "invoke.waitForTaskToken";

/** The pending request of a provisioning that waits for an external signature, read from its history. */
export async function pendingSignature(sfn: SfnPort, executionArn: string): Promise<SignatureRequest> {
  let described: { status?: string };
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error: unknown) {
    if ((error as Error).name === "ExecutionDoesNotExist") throw new UsageError(`No execution ${executionArn}`);
    throw error;
  }
  if (described.status !== "RUNNING") {
    throw new UsageError(`Execution ${executionArn} is ${described.status}; only a running provisioning can be signed`);
  }
  const events = await new StepFunctionsExecutions(sfn).history(executionArn);
  const scheduled = events.findLastIndex(
    (e) =>
      e.type === "TaskScheduled" &&
      e.taskScheduledEventDetails?.resourceType === "lambda" &&
      e.taskScheduledEventDetails.resource === SIGNATURE_RESOURCE,
  );
  const closed = events
    .slice(scheduled + 1)
    .some((e) => /^Task(Succeeded|Failed|TimedOut|StartFailed|SubmitFailed)$/.test(e.type ?? ""));
  if (scheduled < 0 || closed) {
    throw new UsageError(`Execution ${executionArn} is not waiting for a signed certificate (ca mode external)`);
  }
  const parameters = JSON.parse(events[scheduled]?.taskScheduledEventDetails?.parameters ?? "{}") as {
    Payload?: SignatureRequest;
  };
  const request = parameters.Payload;
  if (!request?.taskToken || !request.csr) {
    throw new UsageError(`Execution ${executionArn} has no signature request in its history`);
  }
  return request;
}

function readPem(option: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error: unknown) {
    throw new UsageError(`${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * `keystore-autopilot sign <execution> --cert signed.pem --trust-anchor ca.pem`: checks the certificates against the
 * cluster's CSR (chain, key match, Basic Constraints) and only then resumes the execution with SendTaskSuccess. A
 * rejected certificate is a usage error: the execution keeps waiting and the cluster is untouched.
 */
export async function signExecution(
  ports: { sfn: SfnPort; sts: StsPort },
  request: { executionArn: string; certPath: string; trustAnchorPath: string; now: Date },
): Promise<{ clusterId: string; keyStoreName: string; signedBy: string }> {
  const { sfn } = ports;
  const signedCert = readPem("--cert", request.certPath);
  const trustAnchor = readPem("--trust-anchor", request.trustAnchorPath);
  const pending = await pendingSignature(sfn, request.executionArn);
  try {
    checkCertificates({ signedCert, trustAnchor, csrPem: pending.csr, now: request.now });
  } catch (error: unknown) {
    if (error instanceof CertificateRejectedError) {
      throw new UsageError(
        `Certificate rejected, the execution keeps waiting and cluster ${pending.clusterId} is untouched: ${error.message}`,
      );
    }
    throw error;
  }
  // Who answered, from the caller's credentials: the history keeps it in TaskSucceeded, CloudTrail keeps the caller.
  const signedBy = await callerArn(ports.sts);
  await sfn.send(
    new SendTaskSuccessCommand({
      taskToken: pending.taskToken,
      output: JSON.stringify({ signedCert, trustAnchor, signedBy }),
    }),
  );
  return { clusterId: pending.clusterId, keyStoreName: pending.keyStoreName, signedBy };
}
