import type { Command } from "commander";
import { type CommandContext, pretty, targetJson } from "../command";
import { EXIT, UsageError } from "../errors";
import { Progress } from "../progress";
import { clientsFor, describeTarget, resolveTarget, sdkConfig } from "../target";

/** `preflight`: account checks before a cluster (--subnets), the deployed stack's self-check (--in-aws). */
export function preflightCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("preflight")
    .description(
      "check an account and Region before anyone pays for an HSM (--subnets), or the deployed stack from inside its VPC (--in-aws)",
    )
    .option("--subnets <ids>", "the cluster's private subnets, comma-separated: subnet-a,subnet-b")
    .option(
      "--in-aws",
      "invoke the deployed selfCheck function: CLI layer, endpoints and roles from the CLI functions' VPC",
    )
    .option(
      "--cluster-id <id>",
      "with --in-aws: also check this cluster's trust anchor secret and TCP to its ACTIVE HSMs",
    )
    .addHelpText(
      "after",
      `
--subnets runs with your credentials and changes nothing: DescribeSubnets (all exist, one VPC, one per Availability
Zone and at least two zones, free addresses for an HSM and KMS's interface), DescribeCustomKeyStores (against the
quota of 10 per account and Region) and the CloudTrail trails (one logging management events in this Region).

--in-aws, after deploying, invokes keystore-autopilot-<stage>-selfCheck (one synchronous Lambda Invoke), which runs
with the CLI functions' VPC, security group and layers: the CloudHSM CLI runs and its configuration directory is
writable, Secrets Manager, KMS, CloudHSM, EventBridge, Step Functions and DynamoDB each answer a read (unreachable
and access denied told apart), and with --cluster-id the trust anchor secret exists and each ACTIVE HSM takes TCP on
2223-2225. On the local account the function runs on the local runtime.

Each check prints PASS, WARN or FAIL with what is wrong and the fix. Exit 0 when nothing FAILs, 1 otherwise, 2 on bad
input.

Examples:
  keystore-autopilot preflight --subnets subnet-0123456789abcdef0,subnet-0fedcba9876543210
  keystore-autopilot --aws --region eu-west-1 preflight --subnets subnet-…,subnet-… --json
  keystore-autopilot --aws --region eu-west-1 --stage prod preflight --in-aws --cluster-id cluster-jxhlf7644ne`,
    )
    .action(async (options: { subnets?: string; inAws?: boolean; clusterId?: string }, command) => {
      const opts = globals(command);
      const { parseSubnets, renderPreflight, runPreflight } = await import("../preflight");
      if (options.clusterId !== undefined && !options.inAws) throw new UsageError("--cluster-id needs --in-aws");
      if (options.subnets === undefined && !options.inAws) {
        throw new UsageError(
          "preflight: give --subnets (the account, before a cluster), --in-aws (the deployed stack), or both",
        );
      }
      const subnetIds = options.subnets !== undefined ? parseSubnets(options.subnets) : undefined;
      const { parseClusterId, invokeSelfCheck, toCheckResults } = await import("../preflight-in-aws");
      const clusterId = options.clusterId !== undefined ? parseClusterId(options.clusterId) : undefined;
      const target = await resolveTarget(opts, waiting);
      const { kms } = clientsFor(target);
      const region = target.kind === "local" ? target.region : await kms.config.region();
      const results = [];
      if (subnetIds) {
        const { EC2Client } = await import("@aws-sdk/client-ec2");
        const { CloudTrailClient } = await import("@aws-sdk/client-cloudtrail");
        const config = sdkConfig(target);
        const ec2 = new EC2Client(config);
        const cloudtrail = new CloudTrailClient(config);
        results.push(...(await runPreflight({ ec2, kms, cloudtrail }, { subnetIds, region })));
      }
      let functionName: string | undefined;
      if (options.inAws) {
        const progress = new Progress(io.stderr);
        progress.status("invoking the deployed selfCheck function");
        try {
          const invoked = await invokeSelfCheck(target, clusterId ? { clusterId } : {});
          functionName = invoked.functionName;
          results.push(...toCheckResults(invoked.invocation, invoked.functionName));
        } finally {
          progress.stop();
        }
      }
      const passed = results.every((r) => r.status !== "FAIL");
      const where = `${describeTarget(target)}${functionName ? ` and from inside ${functionName}` : ""}`;
      io.stdout.write(
        opts.json
          ? `${pretty({ target: targetJson(target), region, ...(functionName ? { functionName } : {}), passed, checks: results })}\n`
          : renderPreflight(results, where, subnetIds ? "creating a cluster" : "running a workflow"),
      );
      done(passed ? EXIT.ok : EXIT.failed);
    });
}
