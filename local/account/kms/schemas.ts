import { z } from "zod";

/** Request shapes of the KMS operations the local account serves, with the KMS API Reference constraints. */

const CustomKeyStoreId = z.string().min(1).max(64);
const CustomKeyStoreName = z.string().min(1).max(256);
const CloudHsmClusterId = z
  .string()
  .min(19)
  .max(24)
  .regex(/^cluster-[2-7a-zA-Z]{11,16}$/);
const KeyId = z.string().min(1).max(2048);
const Limit = z.number().int().min(1).max(1000);
const Marker = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[\u0020-\u00FF]*$/);
const EncryptionContext = z.record(z.string(), z.string());
const GrantTokens = z.array(z.string().min(1).max(8192)).max(10);
/** Blobs travel as base64 strings; their decoded length is checked after decoding (see `blob` in crypto.ts). */
const Blob = z.string();

export const CreateCustomKeyStoreInput = z.object({
  CustomKeyStoreName,
  CloudHsmClusterId: CloudHsmClusterId.optional(),
  TrustAnchorCertificate: z.string().min(1).max(5000).optional(),
  /** Length is checked separately so the password never appears in an error message. */
  KeyStorePassword: z.string().optional(),
  CustomKeyStoreType: z.enum(["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]).optional(),
  XksProxyUriEndpoint: z.string().optional(),
  XksProxyUriPath: z.string().optional(),
  XksProxyVpcEndpointServiceName: z.string().optional(),
  XksProxyVpcEndpointServiceOwner: z.string().optional(),
  XksProxyAuthenticationCredential: z.object({ AccessKeyId: z.string(), RawSecretAccessKey: z.string() }).optional(),
  XksProxyConnectivity: z.enum(["PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE"]).optional(),
});

export const DescribeCustomKeyStoresInput = z.object({
  CustomKeyStoreId: CustomKeyStoreId.optional(),
  CustomKeyStoreName: CustomKeyStoreName.optional(),
  Limit: Limit.optional(),
  Marker: Marker.optional(),
});

export const KeyStoreRefInput = z.object({ CustomKeyStoreId });

export const UpdateCustomKeyStoreInput = z.object({
  CustomKeyStoreId,
  NewCustomKeyStoreName: CustomKeyStoreName.optional(),
  KeyStorePassword: z.string().optional(),
  CloudHsmClusterId: CloudHsmClusterId.optional(),
  XksProxyUriEndpoint: z.string().optional(),
  XksProxyUriPath: z.string().optional(),
  XksProxyVpcEndpointServiceName: z.string().optional(),
  XksProxyVpcEndpointServiceOwner: z.string().optional(),
  XksProxyAuthenticationCredential: z.object({ AccessKeyId: z.string(), RawSecretAccessKey: z.string() }).optional(),
  XksProxyConnectivity: z.enum(["PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE"]).optional(),
});

export const CreateKeyInput = z.object({
  Description: z.string().max(8192).optional(),
  KeyUsage: z.enum(["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]).optional(),
  KeySpec: z.string().optional(),
  CustomerMasterKeySpec: z.string().optional(),
  Origin: z.enum(["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]).optional(),
  CustomKeyStoreId: CustomKeyStoreId.optional(),
  MultiRegion: z.boolean().optional(),
  Policy: z.string().min(1).max(32768).optional(),
  BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
  Tags: z.array(z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) })).optional(),
  XksKeyId: z.string().optional(),
});

export const KeyRefInput = z.object({ KeyId });

const Tag = z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) });
export const TagResourceInput = z.object({ KeyId, Tags: z.array(Tag) });
export const UntagResourceInput = z.object({ KeyId, TagKeys: z.array(z.string().min(1).max(128)) });
export const ListResourceTagsInput = z.object({ KeyId, Limit: Limit.optional(), Marker: Marker.optional() });

export const ListKeysInput = z.object({ Limit: Limit.optional(), Marker: Marker.optional() });

export const ScheduleKeyDeletionInput = z.object({
  KeyId,
  PendingWindowInDays: z.number().int().min(7).max(30).optional(),
});

export const EncryptInput = z.object({
  KeyId,
  Plaintext: Blob,
  EncryptionContext: EncryptionContext.optional(),
  GrantTokens: GrantTokens.optional(),
  EncryptionAlgorithm: z.enum(["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]).optional(),
  DryRun: z.boolean().optional(),
});

export const DecryptInput = z.object({
  CiphertextBlob: Blob,
  KeyId: KeyId.optional(),
  EncryptionContext: EncryptionContext.optional(),
  GrantTokens: GrantTokens.optional(),
  EncryptionAlgorithm: z.enum(["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]).optional(),
  DryRun: z.boolean().optional(),
});

export const GenerateDataKeyInput = z.object({
  KeyId,
  KeySpec: z.enum(["AES_256", "AES_128"]).optional(),
  NumberOfBytes: z.number().int().min(1).max(1024).optional(),
  EncryptionContext: EncryptionContext.optional(),
  GrantTokens: GrantTokens.optional(),
  DryRun: z.boolean().optional(),
});
