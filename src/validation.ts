import * as z from "zod/mini";
import "./zod-locale";

/** Bad input to a step: names the field; the ASL contract is the error name. */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** Parses at the edge; the first issue becomes a message that names the field and says what was expected. */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || "input";
  throw new InvalidInputError(`Invalid input: ${field}: ${issue?.message ?? "invalid"}`, field);
}

// --- input fuzzing: formats shared by the step inputs ---
/** Step Functions' execution name rules: 1–80 characters, none of whitespace, brackets, wildcards or punctuation. */
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const hasControl = (s: string) =>
  [...s].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
export const ExecutionNameSchema = z.string().check(
  z.minLength(1),
  z.maxLength(80),
  z.refine((s) => !FORBIDDEN_IN_NAME.test(s) && !hasControl(s), "must be a Step Functions execution name"),
);
/**
 * A KMS key ARN, as KMS writes it in events and in a backing key's label (DOMAIN.md §3.1); the groups are the Region,
 * the account and the key id.
 */
export const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/;
export const KeyArnSchema = z.string().check(z.regex(KEY_ARN, "must be a KMS key ARN"));

/**
 * arn:<partition>:states:<Region>:<account>:execution:<state machine name>:<execution name> (Service Authorization
 * Reference, "Resource types defined by AWS Step Functions"); the groups are the state machine's name and the
 * execution's.
 */
export const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([A-Za-z0-9_-]{1,80}):([^\s:]{1,80})$/;
export const ExecutionArnSchema = z
  .string()
  .check(z.maxLength(2048), z.regex(EXECUTION_ARN, "must be an execution ARN"));
export const StateMachineArnSchema = z
  .string()
  .check(
    z.maxLength(2048),
    z.regex(
      /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/,
      "must be a state machine ARN",
    ),
  );
/** CloudHSM's ClusterId pattern (CloudHSM v2 API reference); the ids the service issues are base32. */
const CLUSTER_ID = /^cluster-[2-7a-zA-Z]{11,16}$/;
export const ClusterIdSchema = z.string().check(z.regex(CLUSTER_ID, "clusterId must look like cluster-jxhlf7644ne"));

/** A secret reference (name or ARN) under keystore-autopilot/, optionally of one kind (its first path segment). */
const secretRef = (kind?: string) =>
  new RegExp(
    `^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:)?keystore-autopilot/${kind ? `${kind}/` : ""}[A-Za-z0-9/_+=.@-]+$`,
  );
/** A secret reference, never a value; `message` says which field a user got wrong; `kind` limits it to one kind. */
export const secretRefSchema = (message: string, kind?: string) =>
  z.string().check(z.maxLength(2048), z.regex(secretRef(kind), message));
export const SecretIdSchema = secretRefSchema("must name a secret under keystore-autopilot/");
/** A secret version id as the workflows make it (States.UUID()): also the idempotency token of the version. */
export const VersionIdSchema = z
  .string()
  .check(
    z.regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      "versionId must be a UUID",
    ),
  );
