import type { z } from "zod";
import { type Deps, find, save } from "./records";
import type { PutResourcePolicyInput, SecretIdInput } from "./schemas";

/**
 * PutResourcePolicy (API Reference, API_PutResourcePolicy.html). Stored and returned, not enforced: the local account
 * checks no credentials, so there is no principal to match a policy against (README, "The local account").
 * BlockPublicPolicy is accepted for the same reason.
 */
export function putResourcePolicy({ ctx }: Deps, req: z.infer<typeof PutResourcePolicyInput>) {
  const secret = find(ctx, req.SecretId);
  secret.resourcePolicy = req.ResourcePolicy;
  save(ctx, secret);
  return { ARN: secret.arn, Name: secret.name };
}

/** GetResourcePolicy (API Reference, API_GetResourcePolicy.html). */
export function getResourcePolicy({ ctx }: Deps, req: z.infer<typeof SecretIdInput>) {
  const secret = find(ctx, req.SecretId);
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.resourcePolicy !== undefined ? { ResourcePolicy: secret.resourcePolicy } : {}),
  };
}
