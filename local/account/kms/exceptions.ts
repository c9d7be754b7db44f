import { AwsServiceError } from "../errors";

/**
 * KMS's exceptions with the wording of the KMS API Reference, so callers that match on name (and people reading
 * messages) see what AWS would send. Extra detail, where it helps, follows the documented sentence.
 */
const exception =
  (code: string, text: string, status = 400) =>
  (detail?: string) =>
    new AwsServiceError(code, detail ? `${text} ${detail}` : text, status);

export const customKeyStoreInvalidState = exception(
  "CustomKeyStoreInvalidStateException",
  "The request was rejected because of the ConnectionState of the custom key store. To get the ConnectionState of a custom key store, use the DescribeCustomKeyStores operation.",
);

export const customKeyStoreNotFound = exception(
  "CustomKeyStoreNotFoundException",
  "The request was rejected because KMS cannot find a custom key store with the specified key store name or ID.",
);

export const customKeyStoreNameInUse = exception(
  "CustomKeyStoreNameInUseException",
  "The request was rejected because the specified custom key store name is already assigned to another custom key store in the account. Try again with a custom key store name that is unique in the account.",
);

export const customKeyStoreHasCmks = exception(
  "CustomKeyStoreHasCMKsException",
  "The request was rejected because the custom key store contains KMS keys. After verifying that you do not need to use the KMS keys, use the ScheduleKeyDeletion operation to delete the KMS keys. After they are deleted, you can delete the custom key store.",
);

export const clusterNotFound = exception(
  "CloudHsmClusterNotFoundException",
  "The request was rejected because KMS cannot find the CloudHSM cluster with the specified cluster ID. Retry the request with a different cluster ID.",
);

export const clusterNotActive = exception(
  "CloudHsmClusterNotActiveException",
  "The request was rejected because the CloudHSM cluster associated with the CloudHSM key store is not active. Initialize and activate the cluster and try the command again.",
);

export const clusterInUse = exception(
  "CloudHsmClusterInUseException",
  "The request was rejected because the specified CloudHSM cluster is already associated with a CloudHSM key store in the account, or it shares a backup history with a CloudHSM key store in the account. Each CloudHSM key store in the account must be associated with a different CloudHSM cluster.",
);

export const clusterInvalidConfiguration = exception(
  "CloudHsmClusterInvalidConfigurationException",
  "The request was rejected because the associated CloudHSM cluster did not meet the configuration requirements for a CloudHSM key store.",
);

export const clusterNotRelated = exception(
  "CloudHsmClusterNotRelatedException",
  "The request was rejected because the specified CloudHSM cluster has a different cluster certificate than the original cluster. You cannot use the operation to specify an unrelated cluster for a CloudHSM key store.",
);

export const incorrectTrustAnchor = exception(
  "IncorrectTrustAnchorException",
  "The request was rejected because the trust anchor certificate in the request to create a CloudHSM key store is not the trust anchor certificate for the specified CloudHSM cluster.",
);

export const limitExceeded = exception(
  "LimitExceededException",
  "The request was rejected because a quota was exceeded.",
);

export const invalidMarker = exception(
  "InvalidMarkerException",
  "The request was rejected because the marker that specifies where pagination should next begin is not valid.",
);

export const invalidCiphertext = exception(
  "InvalidCiphertextException",
  "The request was rejected because the specified ciphertext, or additional authenticated data incorporated into the ciphertext, such as the encryption context, is corrupted, missing, or otherwise invalid.",
);

export const incorrectKey = exception(
  "IncorrectKeyException",
  "The request was rejected because the specified KMS key cannot decrypt the data. The KeyId in a Decrypt request must identify the same KMS key that was used to encrypt the ciphertext.",
);

export const unsupportedOperation = exception(
  "UnsupportedOperationException",
  "The request was rejected because a specified parameter is not supported or a specified resource is not valid for this operation.",
);

export const kmsInternal = exception(
  "KMSInternalException",
  "The request was rejected because an internal exception occurred. The request can be retried.",
  500,
);

/** KMSInvalidStateException carries a specific message (`<arn> is unavailable.`), as KMS sends it. */
export const kmsInvalidState = (message: string) => new AwsServiceError("KMSInvalidStateException", message);

/*
 * The messages of the key state table (KMS Developer Guide, key-state, "Table details"; docs/sources/key-retirement.md):
 * [1] `DisabledException: <key ARN> is disabled.`; [3] `KMSInvalidStateException: <key ARN> is pending deletion (or
 * pending replica deletion).` (a cryptographic operation may also answer [2], the same text as DisabledException: the
 * product matches both); [4] `... is not pending deletion (or pending replica deletion).`; [11] `... is unavailable.`
 */
export const keyDisabled = (arn: string) => new AwsServiceError("DisabledException", `${arn} is disabled.`);
export const keyPendingDeletion = (arn: string) =>
  kmsInvalidState(`${arn} is pending deletion (or pending replica deletion).`);
export const keyNotPendingDeletion = (arn: string) =>
  kmsInvalidState(`${arn} is not pending deletion (or pending replica deletion).`);
export const keyUnavailable = (arn: string) => kmsInvalidState(`${arn} is unavailable.`);

export const notFound = (message: string) => new AwsServiceError("NotFoundException", message);

export const invalidArn = (message: string) => new AwsServiceError("InvalidArnException", message);
