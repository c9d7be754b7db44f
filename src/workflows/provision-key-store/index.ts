import { defineWorkflow } from "../workflow";
import { ProvisionInputSchema } from "./model";

/** Creates a cluster, its HSMs and certificates, kmsuser and the key store, resuming from what already exists. */
export const provisionKeyStoreWorkflow = defineWorkflow({
  name: "provision-key-store",
  stateMachine: "provisionKeyStore",
  input: ProvisionInputSchema,
  config: ["CLOUDHSM_CLI_PATH", "SECRETS_KMS_KEY_ARN", "SECRET_PRINCIPALS", "OPERATOR_PRINCIPAL_ARNS"],
  handlers: [
    "provisionPlan",
    "provisionEnsureCluster",
    "provisionEnsureHsms",
    "provisionSignCsr",
    "provisionRequestSignature",
    "provisionAcceptCertificates",
    "provisionActivate",
    "provisionEnsureKmsuser",
    "provisionCreateKeyStore",
  ],
  cli: { executionName: "key-store-attempt", commands: ["sign"] },
});
