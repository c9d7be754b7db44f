/** The ports describe-key-store's step uses; the handler passes the module-scope clients. */
export type DescribeKeyStoreDeps = { kms: KmsPort };

import type { KmsPort } from "../../ports/clients";
