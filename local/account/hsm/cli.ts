import type { AccountContext } from "../account";

export function registerCloudHsmCli(_ctx: AccountContext): void {}
