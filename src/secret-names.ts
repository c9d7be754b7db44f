import { InvalidInputError } from "./validation";

/**
 * Secret names by kind: `keystore-autopilot/<kind>/<cluster or key store id>`. The kind comes first so each
 * function's IAM policy can open only the kinds it uses by ARN pattern (`…:secret:keystore-autopilot/admin/*`), and
 * the id last so a reference can be checked against the cluster or store it is used for.
 */
export const SECRET_PREFIX = "keystore-autopilot/";

/** The kinds, each its own path: the segment IAM patterns and the packaged-template checks name. */
export const SECRET_KINDS = {
  /** {"username","password"} of the cluster's admin (crypto officer): per cluster. */
  admin: "admin",
  /** kmsuser's password as connect-key-store rotates it: per key store. */
  kmsuser: "kmsuser",
  /** kmsuser's first password, set by provisioning before the key store exists: per cluster. */
  initialKmsuser: "initial-kmsuser",
  /** The CA the product makes to sign a cluster's CSR, private key included: per cluster. */
  managedCa: "managed-ca",
  /** A customer's own CA ({"certificate","privateKey"}), which the customer stores and names in `ca.secretId`. */
  customerCa: "customer-ca",
  /** The cluster's trust anchor (public), kept because CreateCustomKeyStore needs it after the CSR is gone. */
  trustAnchor: "trust-anchor",
} as const;
export type SecretKind = (typeof SECRET_KINDS)[keyof typeof SECRET_KINDS];

const named = (kind: SecretKind, id: string) => `${SECRET_PREFIX}${kind}/${id}`;

export const adminSecretFor = (clusterId: string) => named(SECRET_KINDS.admin, clusterId);
export const kmsuserSecretFor = (customKeyStoreId: string) => named(SECRET_KINDS.kmsuser, customKeyStoreId);
export const initialKmsuserSecretFor = (clusterId: string) => named(SECRET_KINDS.initialKmsuser, clusterId);
export const managedCaSecretFor = (clusterId: string) => named(SECRET_KINDS.managedCa, clusterId);
export const trustAnchorSecretFor = (clusterId: string) => named(SECRET_KINDS.trustAnchor, clusterId);

/**
 * The secret name a reference (name or ARN) points at. A secret's ARN is its name followed by a hyphen and six random
 * characters (Secrets Manager API reference, CreateSecret: "The ARN includes the name of the secret followed by six
 * random characters"), so the suffix is dropped.
 */
export function secretNameOf(ref: string): string {
  const arn = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/.exec(ref);
  if (!arn?.[1]) return ref;
  return arn[1].replace(/-[A-Za-z0-9]{6}$/, "");
}

/** Whether a reference (name or ARN) names exactly `expected`. */
export const refersTo = (ref: string, expected: string) => secretNameOf(ref) === expected;

/** The kind a reference names, when it is one of ours. */
export function kindOf(ref: string): SecretKind | undefined {
  const name = secretNameOf(ref);
  if (!name.startsWith(SECRET_PREFIX)) return undefined;
  const kind = name.slice(SECRET_PREFIX.length).split("/")[0];
  return Object.values(SECRET_KINDS).find((k) => k === kind);
}

/**
 * The secret a field must name, given the cluster or store it serves: an input may spell the derived name (or its
 * ARN) but never another, so one cluster's credential cannot be tried against another cluster. Throws an
 * InvalidInputError naming the field before anything is read or changed.
 */
export function requireDerived(field: string, given: string | undefined, expected: string): string {
  if (given !== undefined && !refersTo(given, expected)) {
    throw new InvalidInputError(`Invalid input: ${field}: must be ${expected} (the secret of this cluster)`, field);
  }
  return expected;
}
