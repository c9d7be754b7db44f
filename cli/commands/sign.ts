import type { Command } from "commander";
import { EXECUTION_ARN } from "../../src/validation";
import { type CommandContext, pretty } from "../command";
import { EXIT, UsageError } from "../errors";
import { clientsFor, resolveTarget } from "../target";

/** `sign <execution-arn>`: the external signature a provisioning waits for (its registry entry lists `sign`). */
export function signCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("sign")
    .description("hand a provisioning that waits for an external signature its signed certificate and trust anchor")
    .argument("<execution-arn>", "the provision-key-store execution (ca mode external) that waits in AwaitSignature")
    .requiredOption("--cert <file>", "the cluster certificate: the cluster CSR signed by your CA (PEM)")
    .requiredOption(
      "--trust-anchor <file>",
      "your root CA certificate, or the chain from the issuing CA to the root (PEM)",
    )
    .addHelpText(
      "after",
      `
The CSR is in the execution's "Cluster CSR Awaiting Signature" event (and in DescribeClusters). The certificates are
checked first (key match with the CSR, chain to a self-signed root, Basic Constraints CA:TRUE): a rejected one exits 2,
the execution keeps waiting and the cluster is untouched. Then the execution resumes (SendTaskSuccess) with the
task token read from the execution's history (never from an event), and records your ARN (sts:GetCallerIdentity) as
the signer. Needs states:DescribeExecution, states:GetExecutionHistory and states:SendTaskSuccess (README "Approvers").

Examples:
  keystore-autopilot sign arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-provisionKeyStore:payments-r1 \\
    --cert cluster.crt --trust-anchor customerCA.crt`,
    )
    .action(async (executionArn: string, options: { cert: string; trustAnchor: string }, command) => {
      const opts = globals(command);
      if (!EXECUTION_ARN.test(executionArn)) throw new UsageError(`'${executionArn}' is not an execution ARN`);
      const target = await resolveTarget(opts, waiting);
      const { sfn, sts } = clientsFor(target);
      const { StepFunctionsExecutions } = await import("../../src/adapters/executions");
      const executions = new StepFunctionsExecutions(sfn);
      const { signExecution } = await import("../sign");
      const signed = await signExecution(
        { executions, sts },
        {
          executionArn,
          certPath: options.cert,
          trustAnchorPath: options.trustAnchor,
          now: target.kind === "local" ? new Date(target.now) : new Date(),
        },
      );
      io.stdout.write(
        opts.json
          ? `${pretty({ executionArn, ...signed, resumed: true })}\n`
          : `Certificates accepted for cluster ${signed.clusterId} (${signed.keyStoreName}), signed by ${signed.signedBy}; the execution resumes\n`,
      );
      done(EXIT.ok);
    });
}
