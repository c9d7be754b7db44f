import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { StsPort } from "./clients/types";

/**
 * The ARN of the principal making the calls (AWS STS API Reference, GetCallerIdentity: "Returns details about the
 * IAM user or role whose credentials are used to call the operation"; no permission is needed to call it). Approvals
 * and signatures record this, never a name the caller types.
 */
export async function callerArn(sts: StsPort): Promise<string> {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  if (!identity.Arn) throw new Error("GetCallerIdentity returned no Arn");
  return identity.Arn;
}
