import type { AccountContext } from "../account";
import type { Service } from "../protocol";

export function createKmsService(_ctx: AccountContext): Service {
  return {
    target: "TrentService",
    name: "kms",
    jsonVersion: "1.1",
    internalError: { code: "KMSInternalException", status: 500 },
    operations: {},
  };
}
