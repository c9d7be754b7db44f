import * as z from "zod/mini";
import { SECRET_KINDS, type SecretKind } from "./secret-names";

/** Who may read and write each kind of secret: the stack's roles by kind, and the operators' roles for every kind. */
export type SecretAccess = { byKind: Partial<Record<SecretKind, string[]>>; operators: string[] };

/** The actions the policy keeps to the kind's roles: reading the value and writing a new one. */
export const GUARDED_ACTIONS = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"];

export class SecretAccessMissingError extends Error {
  constructor(kind: string) {
    super(`Missing configuration: SECRET_PRINCIPALS names no role for the ${kind} secrets`);
    this.name = "SecretAccessMissingError";
  }
}

/**
 * The resource policy a secret of `kind` gets when the product creates it: an explicit deny of reading and writing
 * its value to every principal but the roles allowed that kind. An explicit deny in a resource policy wins over any
 * identity policy of the account (Secrets Manager User Guide, "Attach a permissions policy to an AWS Secrets Manager
 * secret", auth-and-access_resource-policies, and its example denying all but a role by aws:PrincipalArn). A role
 * session's aws:PrincipalArn is the role's ARN (IAM User Guide, reference_policies_condition-keys, aws:PrincipalArn),
 * so role ARNs are matched as they are. The policy only denies: it grants nothing, so BlockPublicPolicy accepts it.
 * Throws SecretAccessMissingError when no role is configured for the kind: a deny of everyone would lock the
 * product out of its own secret.
 */
export function secretResourcePolicy(kind: SecretKind, access: SecretAccess): string {
  const roles = access.byKind[kind] ?? [];
  if (roles.length === 0) throw new SecretAccessMissingError(kind);
  const allowed = [...new Set([...roles, ...access.operators])].sort();
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OnlyTheRolesOfThisKind",
        Effect: "Deny",
        Principal: "*",
        Action: GUARDED_ACTIONS,
        Resource: "*",
        Condition: { ArnNotLike: { "aws:PrincipalArn": allowed } },
      },
    ],
  });
}

const SecretPrincipalsSchema = z.partialRecord(
  z.enum(Object.values(SECRET_KINDS)),
  z.array(z.string().check(z.minLength(1))),
);

/**
 * Who may read and write the secrets this function creates (src/secret-policy.ts), from SECRET_PRINCIPALS and
 * OPERATOR_PRINCIPAL_ARNS; fails fast naming the variable when SECRET_PRINCIPALS is not that JSON.
 */
export function readSecretAccess(c: {
  SECRET_PRINCIPALS?: string | undefined;
  OPERATOR_PRINCIPAL_ARNS: string;
}): SecretAccess {
  const operators = c.OPERATOR_PRINCIPAL_ARNS.split(",")
    .map((arn) => arn.trim())
    .filter((arn) => arn !== "");
  if (c.SECRET_PRINCIPALS === undefined || c.SECRET_PRINCIPALS === "") return { byKind: {}, operators };
  let raw: unknown;
  try {
    raw = JSON.parse(c.SECRET_PRINCIPALS);
  } catch {
    throw new Error("Invalid configuration: SECRET_PRINCIPALS: not JSON");
  }
  const parsed = SecretPrincipalsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid configuration: SECRET_PRINCIPALS: ${parsed.error.issues[0]?.message}`);
  return { byKind: parsed.data, operators };
}
