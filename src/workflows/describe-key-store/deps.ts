/** The ports describe-key-store's step uses; the handler passes the module-scope clients. */
export type DescribeKeyStoreDeps = { keyStores: Pick<KeyStores, "get"> };

import type { KeyStores } from "../../ports/key-stores";
