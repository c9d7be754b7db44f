import type { KmsPort } from "../../key-store-lookups";

/** The ports describe-key-store's step uses; the handler passes the module-scope clients. */
export type DescribeKeyStoreDeps = { kms: KmsPort };
