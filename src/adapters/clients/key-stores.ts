import { KmsKeyStores } from "../key-stores";
import { kms } from "./kms";

/** KMS's key stores and keys, through the instance's KMS client. */
export const keyStores = new KmsKeyStores(kms);
