import { readFileSync } from "node:fs";
import { callerArn } from "../src/adapters/caller-identity";
import type { StsPort } from "../src/adapters/clients/types";
import type { Executions } from "../src/ports/executions";
import { checkCertificates } from "../src/workflows/provision-key-store/certificates";
import { CertificateRejectedError } from "../src/workflows/provision-key-store/errors";
import { UsageError } from "./errors";

/** The payload of provision-key-store's AwaitSignature task, as its TaskScheduled event records it. */
type SignatureRequest = { clusterId: string; keyStoreName: string; csr: string; taskToken: string };

/** The pending request of a provisioning that waits for an external signature, read from its history. */
export async function pendingSignature(executions: Executions, executionArn: string): Promise<SignatureRequest> {
  let status: string;
  try {
    status = await executions.status(executionArn);
  } catch (error: unknown) {
    if ((error as Error).name === "ExecutionDoesNotExist") throw new UsageError(`No execution ${executionArn}`);
    throw error;
  }
  if (status !== "RUNNING") {
    throw new UsageError(`Execution ${executionArn} is ${status}; only a running provisioning can be signed`);
  }
  const task = await executions.waitingTask(executionArn);
  if (!task || task === "ended") {
    throw new UsageError(`Execution ${executionArn} is not waiting for a signed certificate (ca mode external)`);
  }
  const { clusterId, keyStoreName, csr } = task.payload;
  if (typeof csr !== "string" || typeof clusterId !== "string" || typeof keyStoreName !== "string") {
    throw new UsageError(`Execution ${executionArn} has no signature request in its history`);
  }
  return { clusterId, keyStoreName, csr, taskToken: task.taskToken };
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
  ports: { executions: Executions; sts: StsPort },
  request: { executionArn: string; certPath: string; trustAnchorPath: string; now: Date },
): Promise<{ clusterId: string; keyStoreName: string; signedBy: string }> {
  const { executions } = ports;
  const signedCert = readPem("--cert", request.certPath);
  const trustAnchor = readPem("--trust-anchor", request.trustAnchorPath);
  const pending = await pendingSignature(executions, request.executionArn);
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
  await executions.succeedTask(pending.taskToken, { signedCert, trustAnchor, signedBy });
  return { clusterId: pending.clusterId, keyStoreName: pending.keyStoreName, signedBy };
}
