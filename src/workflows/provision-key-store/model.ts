import * as z from "zod/mini";
import { SECRET_KINDS } from "../../secret-names";
import { ClusterIdSchema, secretRefSchema } from "../../validation";

/** The HSM types CloudHSM offers for new clusters (DOMAIN.md §6); hsm2m.medium is the current generation. */
export const HSM_TYPES = ["hsm2m.medium", "hsm1.medium"] as const;

export const SUBNET_ID = /^subnet-[0-9a-fA-F]{8,17}$/;

/**
 * The key store name doubles as the execution name's stem and appears in CloudTrail (DOMAIN.md §1.1), so it is kept
 * to characters valid in both, and short enough for `<name>-r<n>` to fit Step Functions' 80 characters.
 */
export const KeyStoreNameSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, "keyStoreName must be 1 to 64 letters, digits, '.', '_' or '-'"));

const CaSchema = z.discriminatedUnion("mode", [
  /** The product makes a CA for this cluster: its private key is generated in the handler and kept in Secrets Manager. */
  z.strictObject({ mode: z.literal("managed") }),
  /** Your CA in Secrets Manager: {"certificate":"-----BEGIN CERTIFICATE-----…","privateKey":"-----BEGIN PRIVATE KEY-----…"}. */
  z.strictObject({
    mode: z.literal("secret"),
    // Only the customer-CA kind: a name elsewhere (another cluster's managed CA, an admin credential) is refused.
    secretId: secretRefSchema(
      "ca.secretId must name a secret under keystore-autopilot/customer-ca/ (your CA; the product's own CAs cannot be named)",
      SECRET_KINDS.customerCa,
    ),
  }),
  /** You sign the CSR yourself; the execution waits until `keystore-autopilot sign` hands the certificates back. */
  z.strictObject({ mode: z.literal("external") }),
]);

/**
 * Input of provision-key-store. Either `clusterId` (adopt a cluster in whatever state it is) or `subnetIds` (a new
 * cluster; one subnet per Availability Zone, at least two zones).
 */
export const ProvisionInputSchema = z
  .strictObject({
    keyStoreName: KeyStoreNameSchema,
    clusterId: z.optional(ClusterIdSchema),
    subnetIds: z.optional(
      z.array(z.string().check(z.regex(SUBNET_ID, "each subnet id must look like subnet-0123456789abcdef0"))).check(
        z.minLength(2, "subnetIds must name subnets in at least two Availability Zones"),
        z.maxLength(10),
        z.refine((ids) => new Set(ids).size === ids.length, "subnetIds must not repeat a subnet"),
      ),
    ),
    hsmType: z._default(
      z.enum(HSM_TYPES, { message: `hsmType must be one of ${HSM_TYPES.join(", ")}` }),
      "hsm2m.medium",
    ),
    backupRetentionDays: z.optional(z.number().check(z.int(), z.minimum(7), z.maximum(379))),
    /** HSMs to end with, in distinct Availability Zones as far as the subnets allow. */
    hsmCount: z._default(z.number().check(z.int(), z.minimum(2), z.maximum(6)), 2),
    ca: z._default(CaSchema, { mode: "managed" }),
  })
  .check(
    z.superRefine((v, ctx) => {
      if ((v.clusterId === undefined) === (v.subnetIds === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: v.clusterId === undefined ? ["subnetIds"] : ["clusterId"],
          message: "give either clusterId (adopt a cluster) or subnetIds (create one), not both and not neither",
        });
      }
    }),
  );
export type ProvisionInput = z.infer<typeof ProvisionInputSchema>;

/** Tag that marks the cluster a provisioning created, so a re-run finds and adopts it instead of creating another. */
export const KEY_STORE_TAG = "keystore-autopilot:key-store-name";

/** The plan the first step hands on: validated input plus what already exists. */
export type ProvisionPlan = {
  keyStoreName: string;
  clusterId?: string;
  subnetIds?: string[];
  hsmType: string;
  backupRetentionDays?: number;
  hsmCount: number;
  caMode: "managed" | "secret" | "external";
  /** The customer CA's secret (mode secret), else null. */
  caSecretId: string | null;
  /** A key store of this name on our cluster exists already (a re-run after CreateCustomKeyStore). */
  customKeyStoreId?: string;
};

/** Certificates handed to InitializeCluster. Public material only. */
export type SignedCertificates = { signedCert: string; trustAnchor: string };
