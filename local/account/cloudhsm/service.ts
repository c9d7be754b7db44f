import type { AccountContext } from "../account";
import type { Service } from "../protocol";

export function createCloudHsmService(_ctx: AccountContext): Service {
  return {
    target: "BaldrApiService",
    name: "cloudhsm",
    jsonVersion: "1.1",
    internalError: { code: "CloudHsmInternalFailureException", status: 500 },
    operations: {},
  };
}
