import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { Command, CommanderError } from "commander";
import { advanceClock, checkDuration, readClock } from "./clock";
import { EXIT, exitCodeOf, UsageError } from "./errors";
import { followExecution } from "./follow";
import { formatElapsed, Progress, painter, type Sink } from "./progress";
import { redact, redactText } from "./redact";
import { checkExecutionName, defaultExecutionName, startExecution } from "./start";
import { collectStatus, renderStatus } from "./status";
import {
  type Clients,
  clientsFor,
  describeTarget,
  type LocalTarget,
  resolveTarget,
  sdkConfig,
  type Target,
  type TargetOptions,
  wantsAws,
} from "./target";
import {
  findWorkflow,
  inputFields,
  listWorkflows,
  readJsonArgument,
  requireStateMachineArn,
  stateMachineName,
  validateInput,
  workflowWithCommand,
} from "./workflows";

/** What the CLI reads and writes; the real process by default, fakes in unit tests. */
export type Io = {
  stdout: Sink;
  stderr: Sink;
  readStdin?: () => string;
  /** Called once an execution is following, so Ctrl-C can say what keeps running. */
  onFollow?: (executionArn: string, progress: Progress) => void;
};

type GlobalOptions = TargetOptions & { json?: boolean };

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function parseOutput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return redact(JSON.parse(text));
  } catch {
    return redactText(text);
  }
}

function requireLocal(target: TargetOptions, command: string): void {
  if (wantsAws(target)) {
    throw new UsageError(`${command} works only on the local account; drop --aws, --profile and --region`);
  }
}

function workflowsHelp(): string {
  const lines = listWorkflows().map((w) => {
    const fields = inputFields(w);
    const commands = w.cli?.commands?.length ? `; commands: ${w.cli.commands.join(", ")}` : "";
    return `  ${w.name.padEnd(22)} input: {${fields.join(", ")}}  (state machine ${w.stateMachine}${commands})`;
  });
  return `\nWorkflows (src/workflows/index.ts):\n${lines.join("\n")}\n`;
}

/** The command tree. Every command has a description, its options and examples in --help. */
export function buildProgram(io: Io, done: (code: number) => void): Command {
  const program = new Command("keystore-autopilot");
  program
    .description(
      "Run and watch the keystore-autopilot workflows: on the local account (default, `npm start`) or in AWS (--aws).",
    )
    .version(require("../package.json").version as string)
    .option("--json", "machine-readable output on stdout (progress, if any, goes to stderr)")
    .option("--aws", "use your AWS account through the normal credential chain instead of the local account")
    .option("--profile <name>", "AWS profile (implies --aws)")
    .option("--region <region>", "AWS Region (implies --aws)")
    .option("--stage <stage>", "serverless.yml stage the workflows were deployed with", "dev")
    .option("--endpoint <url>", "local account endpoint (default: LOCAL_ACCOUNT_ENDPOINT or http://127.0.0.1:4599)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      `
Exit codes: 0 success, 1 the workflow or a call failed, 2 bad input or usage (nothing was started).

Examples:
  npm start                                                   # in another terminal: the local account
  keystore-autopilot status
  keystore-autopilot start describe-key-store --input '{"customKeyStoreId":"cks-1234567890abcdef0"}'
  keystore-autopilot invoke describeKeyStore --event test/events/describe-key-store.json
  keystore-autopilot clock advance 31d
  keystore-autopilot --aws --profile prod --region eu-west-1 status --json`,
    );

  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  /** While `npm start` is still deploying, commands wait for it and say so on stderr. */
  const waiting = (line: string) => io.stderr.write(line);

  program
    .command("start")
    .description("start a workflow execution and follow it state by state to its result")
    .argument("<workflow>", "workflow name (see the list below)")
    .option("-i, --input <file|json>", "input: a JSON file, inline JSON, or - for stdin", "{}")
    .option("-n, --name <name>", "execution name (default: <workflow>-<UTC time>-<random>)")
    .option("--no-follow", "print the execution ARN and return at once")
    .option("--dry-run", "for workflows that take dryRun (orphan-cleanup): report what would be done, touch nothing")
    .addHelpText(
      "after",
      () =>
        `${workflowsHelp()}
The input is checked against the workflow's schema before anything starts. Following shows each state entered
and left, failed attempts and retries, and waits (with their end on the local account's simulated clock).
Ends with SUCCEEDED and the output (exit 0) or FAILED with the error and its cause (exit 1).

Examples:
  keystore-autopilot start describe-key-store --input '{"customKeyStoreId":"cks-1234567890abcdef0"}'
  keystore-autopilot start describe-key-store --input test/events/describe-key-store.json --name my-check-1
  echo '{"customKeyStoreId":"cks-1234567890abcdef0"}' | keystore-autopilot start describe-key-store --input - --json`,
    )
    .action(
      async (
        workflowName: string,
        options: { input: string; name?: string; follow: boolean; dryRun?: boolean },
        command,
      ) => {
        const opts = globals(command);
        const workflow = findWorkflow(workflowName);
        let raw = readJsonArgument("--input", options.input, io.readStdin);
        if (options.dryRun) {
          if (!inputFields(workflow).some((f) => f.replace(/\?$/, "") === "dryRun")) {
            throw new UsageError(`${workflow.name} has no dry run (its input takes no dryRun)`);
          }
          if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
            throw new UsageError("--dry-run needs the input to be a JSON object");
          }
          raw = { ...raw, dryRun: true };
        }
        const input = validateInput(workflow, raw);
        const chosen = options.name !== undefined ? checkExecutionName(options.name) : undefined;
        const target = await resolveTarget(opts, waiting);
        // Default names carry the time the execution starts: the simulated time on the local account.
        const { sfn } = clientsFor(target);
        const where = describeTarget(target);
        const stateMachineArn = await requireStateMachineArn(sfn, workflow, opts.stage, where);
        // A workflow may name its executions itself (its registry entry's cli.executionName).
        const attemptName =
          chosen === undefined && workflow.cli?.executionName === "key-store-attempt"
            ? await (await import("./provision-name")).provisionExecutionName(sfn, stateMachineArn, input)
            : undefined;
        const name =
          chosen ??
          attemptName ??
          defaultExecutionName(workflow.name, target.kind === "local" ? new Date(target.now) : new Date());
        const started = await startExecution(sfn, { workflow, stateMachineArn, name, input });
        if (!options.follow) {
          io.stdout.write(
            opts.json
              ? `${pretty({ workflow: workflow.name, name, executionArn: started.executionArn, status: "RUNNING" })}\n`
              : `${started.executionArn}\n`,
          );
          return done(EXIT.ok);
        }
        const heading = `Started ${workflow.name} as ${name} on ${where}`;
        const code = await followAndReport(io, sfn, target, {
          executionArn: started.executionArn,
          name,
          workflow: workflow.name,
          json: Boolean(opts.json),
          heading,
        });
        done(code);
      },
    );

  program
    .command("follow")
    .description("follow an execution that is already running (or finished) to its result, as start does")
    .argument("<execution-arn>", "the execution's ARN, as start --no-follow or status --json print it")
    .addHelpText(
      "after",
      `
Shows the execution's history from its start, then follows it; exit codes as for start.

Examples:
  keystore-autopilot follow arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-describeKeyStore:my-check-1`,
    )
    .action(async (executionArn: string, _options, command) => {
      const opts = globals(command);
      const match = EXECUTION_ARN.exec(executionArn);
      if (!match)
        throw new UsageError(
          `'${executionArn}' is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)`,
        );
      const [, machine, name] = match as unknown as [string, string, string];
      const workflow = listWorkflows().find((w) => stateMachineName(w, opts.stage) === machine)?.name ?? machine;
      const target = await resolveTarget(opts, waiting);
      const { sfn } = clientsFor(target);
      try {
        await sfn.send(new DescribeExecutionCommand({ executionArn }));
      } catch (error: unknown) {
        if ((error as Error).name === "ExecutionDoesNotExist") {
          throw new UsageError(`No execution ${executionArn} in ${describeTarget(target)}`);
        }
        throw error;
      }
      const heading = `Following ${workflow} execution ${name} on ${describeTarget(target)}`;
      done(await followAndReport(io, sfn, target, { executionArn, name, workflow, json: Boolean(opts.json), heading }));
    });

  program
    .command("status")
    .description(
      "list key stores and their connection states, keys pending deletion with their due dates, recent executions",
    )
    .addHelpText(
      "after",
      `
Key stores come from DescribeCustomKeyStores; pending deletions are keys of CloudHSM key stores in PendingDeletion
(ListKeys + DescribeKey); executions are the 10 most recent of each registered workflow (ListExecutions). On the
local account, due dates are compared with its simulated clock.

Examples:
  keystore-autopilot status
  keystore-autopilot status --json | jq '.pendingDeletions'
  keystore-autopilot --aws --region eu-west-1 status`,
    )
    .action(async (_options, command) => {
      const opts = globals(command);
      const target = await resolveTarget(opts, waiting);
      const clients = clientsFor(target);
      const now = target.kind === "local" ? target.now : new Date().toISOString();
      const report = await collectStatus(clients, { workflows: listWorkflows(), stage: opts.stage, now });
      io.stdout.write(
        opts.json
          ? `${pretty({ target: targetJson(target), ...report })}\n`
          : `${renderStatus(report, describeTarget(target))}\n`,
      );
      done(EXIT.ok);
    });

  program
    .command("invoke")
    .description("run one serverless.yml function's handler locally on an event, against the local account")
    .argument("<function>", "function key in serverless.yml (e.g. describeKeyStore), or its name or ARN")
    .requiredOption("-e, --event <file|json>", "the event: a JSON file (e.g. test/events/*.json), inline JSON, or -")
    .addHelpText(
      "after",
      `
The handler runs as the local runtime runs it: serverless.yml resolved by osls print (cached), the function's own
environment with the AWS SDK pointed at the local account, Lambda's context and timeout. Prints the result as JSON
(exit 0) or the error (exit 1). Function logs: <data dir>/logs/<function name>.log.

Examples:
  keystore-autopilot invoke describeKeyStore --event test/events/describe-key-store.json
  keystore-autopilot invoke describeKeyStore --event '{"customKeyStoreId":"cks-1234567890abcdef0"}' --json`,
    )
    .action(async (fn: string, options: { event: string }, command) => {
      const opts = globals(command);
      requireLocal(opts, "invoke");
      const event = readJsonArgument("--event", options.event, io.readStdin);
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      // Loaded here only: the local runtime's modules (worker threads, SQLite) are not needed by the other commands.
      const { invokeLocally } = await import("./invoke");
      // On a terminal, a spinner while serverless.yml is resolved (osls print, slow only when it changed) and the handler runs.
      const progress = new Progress(io.stderr);
      progress.status(`invoking ${fn}`);
      let invoked: Awaited<ReturnType<typeof invokeLocally>>;
      try {
        invoked = await invokeLocally(target, { function: fn, event });
      } finally {
        progress.stop();
      }
      const paint = painter(io.stderr);
      if (opts.json) {
        const body = invoked.result.ok
          ? { functionName: invoked.functionName, ok: true, result: redact(invoked.result.result) }
          : {
              functionName: invoked.functionName,
              ok: false,
              errorType: invoked.result.error.errorType,
              errorMessage: redactText(invoked.result.error.errorMessage),
            };
        io.stdout.write(`${pretty(body)}\n`);
      } else if (invoked.result.ok) {
        io.stdout.write(`${pretty(redact(invoked.result.result))}\n`);
        io.stderr.write(`${paint.green("✔")} ${invoked.functionName} returned · logs: ${invoked.logFile}\n`);
      } else {
        const { errorType, errorMessage } = invoked.result.error;
        io.stderr.write(
          `${paint.red("✖")} ${invoked.functionName} failed: ${errorType}: ${redactText(errorMessage)} · logs: ${invoked.logFile}\n`,
        );
      }
      done(invoked.result.ok ? EXIT.ok : EXIT.failed);
    });

  // sign: the workflow whose registry entry lists it (provision-key-store)
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
      const { signExecution } = await import("./sign");
      const signed = await signExecution(
        { sfn, sts },
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

  // approve: the workflow whose registry entry lists it (orphan-cleanup)
  program
    .command("approve")
    .description("approve (or --deny) an orphan-cleanup window that waits for approval")
    .argument("<execution>", "the orphan-cleanup execution: its ARN, or its name")
    .option("--deny", "refuse the window: the execution ends DENIED and nothing is touched")
    .option("--reason <text>", "why (recorded in the execution when denying)")
    .addHelpText(
      "after",
      `
A window that waits has published an OrphanCleanupApprovalRequested alert naming the execution. Approving lets it
disconnect the key store, delete the orphans it re-checks with KMS, and reconnect; denying ends it with nothing done.
The task token is read from the execution's own history: it never travels through events or logs. The approver
recorded is your ARN (sts:GetCallerIdentity). Needs states:DescribeExecution, states:GetExecutionHistory and
states:SendTaskSuccess/SendTaskFailure (README "Approvers"); there is no other way to approve.

Examples:
  keystore-autopilot approve cleanup-cks-1234567890abcdef0-2026112403
  keystore-autopilot approve cleanup-cks-1234567890abcdef0-2026112403 --deny --reason "quarter-end freeze"`,
    )
    .action(async (execution: string, options: { deny?: boolean; reason?: string }, command) => {
      const opts = globals(command);
      const target = await resolveTarget(opts, waiting);
      const { sfn, sts } = clientsFor(target);
      let executionArn = execution;
      if (!EXECUTION_ARN.test(execution)) {
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(execution)) {
          throw new UsageError(`'${execution}' is neither an execution ARN nor an execution name`);
        }
        const machine = await requireStateMachineArn(
          sfn,
          workflowWithCommand("approve"),
          opts.stage,
          describeTarget(target),
        );
        executionArn = `${machine.replace(":stateMachine:", ":execution:")}:${execution}`;
      }
      const { resolveApproval } = await import("../src/cleanup/approval");
      const { NotAwaitingApprovalError } = await import("../src/cleanup/errors");
      const decision = options.deny ? "DENY" : "APPROVE";
      let approver: string;
      try {
        ({ approver } = await resolveApproval(
          { sfn, sts },
          { executionArn, decision, ...(options.reason ? { reason: options.reason } : {}) },
        ));
      } catch (error: unknown) {
        if (error instanceof NotAwaitingApprovalError || (error as Error).name === "ExecutionDoesNotExist") {
          throw new UsageError((error as Error).message);
        }
        throw error;
      }
      io.stdout.write(
        opts.json
          ? `${pretty({ executionArn, decision, approver })}\n`
          : decision === "APPROVE"
            ? `Approved by ${approver}: ${executionArn} opens its maintenance window\n`
            : `Denied by ${approver}: ${executionArn} ends with nothing touched\n`,
      );
      done(EXIT.ok);
    });

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
      const { parseSubnets, renderPreflight, runPreflight } = await import("./preflight");
      if (options.clusterId !== undefined && !options.inAws) throw new UsageError("--cluster-id needs --in-aws");
      if (options.subnets === undefined && !options.inAws) {
        throw new UsageError(
          "preflight: give --subnets (the account, before a cluster), --in-aws (the deployed stack), or both",
        );
      }
      const subnetIds = options.subnets !== undefined ? parseSubnets(options.subnets) : undefined;
      const { parseClusterId, invokeSelfCheck, toCheckResults } = await import("./preflight-in-aws");
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

  const clock = program
    .command("clock")
    .description("read or move the local account's simulated clock")
    .addHelpText(
      "after",
      `
Examples:
  keystore-autopilot clock now
  keystore-autopilot clock advance 31d     # a deletion window passes
  keystore-autopilot clock advance 1h30m`,
    );
  clock
    .command("advance")
    .description("move the local account's simulated clock forward (waits and schedules that fall due then run)")
    .argument("<duration>", "e.g. 31d, 20m, 1h30m, 45s, 500ms")
    .addHelpText("after", "\nOnly the local account has a simulated clock: with --aws this is refused (exit 2).")
    .action(async (duration: string, _options, command) => {
      const opts = globals(command);
      requireLocal(opts, "clock advance");
      const checked = checkDuration(duration);
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      const moved = await advanceClock(target, checked);
      io.stdout.write(
        opts.json
          ? `${pretty({ advancedBy: checked, before: moved.before, now: moved.now, notes: moved.notes })}\n`
          : `Simulated clock advanced by ${checked}: now ${moved.now}\n${moved.notes.map((n) => `Note: ${n}\n`).join("")}`,
      );
      done(EXIT.ok);
    });
  clock
    .command("now")
    .description("print the local account's simulated time")
    .action(async (_options, command) => {
      const opts = globals(command);
      requireLocal(opts, "clock now");
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      const { now } = await readClock(target);
      io.stdout.write(opts.json ? `${pretty({ now })}\n` : `${now}\n`);
      done(EXIT.ok);
    });

  return program;
}

/**
 * Follows an execution with a progress display (stdout on a terminal; stderr with --json or when stdout is a pipe)
 * and prints its result: SUCCEEDED with the output, or the status with Error and Cause. Returns the exit code.
 */
async function followAndReport(
  io: Io,
  sfn: Clients["sfn"],
  target: Target,
  execution: { executionArn: string; name: string; workflow: string; json: boolean; heading: string },
): Promise<number> {
  const { name } = execution;
  const sink = execution.json || !io.stdout.isTTY ? io.stderr : io.stdout;
  const progress = new Progress(sink);
  const paint = painter(sink);
  progress.line(paint.dim(execution.heading));
  io.onFollow?.(execution.executionArn, progress);
  let outcome: Awaited<ReturnType<typeof followExecution>>;
  try {
    outcome = await followExecution(sfn, execution.executionArn, progress, {
      simulated: target.kind === "local",
      pollMs: target.kind === "local" ? 200 : 1000,
    });
  } finally {
    progress.stop();
  }
  const took =
    outcome.startDate && outcome.stopDate
      ? ` in ${formatElapsed(outcome.stopDate.getTime() - outcome.startDate.getTime())}`
      : "";
  const succeeded = outcome.status === "SUCCEEDED";
  const output = parseOutput(outcome.output);
  const cause = outcome.cause === undefined ? undefined : redactText(outcome.cause);
  if (execution.json) {
    io.stdout.write(
      `${pretty({
        workflow: execution.workflow,
        name,
        executionArn: outcome.executionArn,
        status: outcome.status,
        ...(outcome.startDate ? { startDate: outcome.startDate.toISOString() } : {}),
        ...(outcome.stopDate ? { stopDate: outcome.stopDate.toISOString() } : {}),
        ...(output !== undefined ? { output } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      })}\n`,
    );
  } else {
    const out = painter(io.stdout);
    if (succeeded) {
      io.stdout.write(`${out.green(`✔ SUCCEEDED${took}`)} · ${name}\n${pretty(output ?? null)}\n`);
    } else {
      io.stdout.write(
        `${out.red(`✖ ${outcome.status}${took}`)} · ${name}\n  Error: ${outcome.error ?? "(none)"}\n  Cause: ${cause ?? "(none)"}\n`,
      );
    }
  }
  return succeeded ? EXIT.ok : EXIT.failed;
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/;

function targetJson(target: Target) {
  return target.kind === "local"
    ? {
        kind: "local",
        endpoint: target.endpoint,
        region: target.region,
        accountId: target.accountId,
        stage: target.stage,
      }
    : { kind: "aws", region: target.region ?? null, profile: target.profile ?? null, stage: target.stage };
}

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code; never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error: unknown) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const paint = painter(io.stderr);
    const named = error as Error;
    // Our own errors say everything in their message; others (SDK, network) are shown with their name.
    const own = typeof (error as { exitCode?: unknown } | null)?.exitCode === "number";
    const message = own || !named?.name || named.name === "Error" ? named?.message : `${named.name}: ${named.message}`;
    io.stderr.write(`${paint.red("Error:")} ${redactText(String(message ?? error))}\n`);
    return exitCodeOf(error);
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    onFollow: (executionArn, progress) => {
      process.once("SIGINT", () => {
        progress.stop();
        process.stderr.write(`\nStopped following; the execution goes on: ${executionArn}\n`);
        process.exit(130);
      });
    },
  }).then((code) => {
    process.exitCode = code;
  });
}
