import { z } from "zod";
import type { AccountContext } from "../account";
import { runCliCommand } from "../cloudhsm/cli-commands";
import { settleCloudHsm } from "../cloudhsm/lifecycle";

const CliRequestSchema = z.object({
  clusterId: z.string().min(1),
  // The configured HSM addresses: local/bin/cloudhsm-cli always sends its configuration's.
  servers: z.array(z.string()).min(1),
  role: z.string().optional(),
  pin: z.string().optional(),
  argv: z.array(z.string()),
  // What was typed at the password prompts: in the body, like the PIN, never in the URL or the CLI's argv.
  answers: z.array(z.string()).max(2).optional(),
});

/**
 * `POST /_local/cloudhsm-cli {clusterId, servers, role?, pin?, argv, answers?}` → `{"error_code": 0|1, "data": …}`: what
 * local/bin/cloudhsm-cli sends for one command in single-command mode. The command runs in one transaction after
 * settling due CloudHSM transitions; key material is reached only through ctx.hsm.
 */
export function registerCloudHsmCli(ctx: AccountContext): void {
  ctx.front.route("POST", "/_local/cloudhsm-cli", (body) => {
    const parsed = CliRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new Error(
        'Body must be {"clusterId": string, "servers": string[], "role"?: string, "pin"?: string, "argv": string[], "answers"?: string[] (at most 2)}',
      );
    }
    try {
      const result = ctx.store.tx(() => {
        settleCloudHsm(ctx, ctx.clock.now());
        return runCliCommand(ctx, parsed.data);
      });
      ctx.bus.flush();
      return result;
    } catch (error: unknown) {
      ctx.bus.discard();
      throw error;
    }
  });
}
