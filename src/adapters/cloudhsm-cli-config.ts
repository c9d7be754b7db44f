import { access, copyFile, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCluster } from "../clusters";
import type { Clusters } from "../ports/clusters";
import { HsmClusterNotFoundError, HsmPathUnavailableError, HsmUnavailableError } from "../ports/hsm";
import type { SecretsStore } from "../ports/secrets";
import type { CliRun, CliRunner } from "./cloudhsm-cli";

/** Where the run-time CLI configuration's files go: Lambda lets a function write only under /tmp (its tmpdir). */
export const CLI_WORK_DIR = join(tmpdir(), "cloudhsm");

export type CliConfiguratorOptions = {
  /** The configure tool next to the CLI: /opt/cloudhsm/bin/configure-cli in the layer. */
  run: CliRunner;
  region: string;
  /** The CloudHSM API endpoint the configure tool calls DescribeClusters on (local account, VPC endpoint). */
  endpoint?: string;
  /** The secret holding the PEM the cluster was initialized with (its trust anchor), by cluster id. */
  trustAnchorSecret: (clusterId: string) => string;
  workDir?: string;
  /**
   * The layer's pristine configuration (its logging set to standard error when the layer was built) and where the
   * CLI reads it: the layer's /opt/cloudhsm/etc is a link into the work directory, so it starts empty in each new
   * Lambda instance and is seeded from the template before the first add-cluster. Absent on the local runtime.
   */
  template?: { from: string; to: string };
};

export type CliConfiguratorDeps = {
  clusters: Pick<Clusters, "get">;
  secrets: Pick<SecretsStore, "current">;
};

/**
 * Builds the CloudHSM CLI's configuration for a cluster at run time, from the cluster itself: provisioning creates
 * clusters, their HSMs and their CA while the stack runs, so nothing about a cluster can be baked into the layer.
 *
 * It uses the multi-cluster configuration (CloudHSM User Guide, "Connecting to multiple clusters with CloudHSM CLI",
 * cloudhsm_cli-configs-multi-cluster.html): `configure-cli add-cluster --cluster-id <id> --region <region>
 * [--endpoint <endpoint>] --hsm-ca-cert <file>` (syntax as on "Add a cluster", pkcs11-multi-slot-add-cluster.html, and
 * cloudhsm_cli-multi-cluster-remove-cluster.html for remove-cluster), after which each command picks the cluster with
 * its own `--cluster-id` option ("Unique Id to choose which of the clusters in the config file to run the operation
 * against", cloudhsm_cli-user-list.html). With `--cluster-id` the tool itself calls DescribeClusters to find the HSMs'
 * ENI addresses ("AWS CloudHSM Client SDK 5 configuration parameters", configure-tool-params5.html), so the function
 * needs cloudhsm:DescribeClusters and a route to the CloudHSM API.
 *
 * `--hsm-ca-cert` is "the certificate authority (CA) certificate use to connect EC2 client instances to the cluster.
 * You create this file when you initialize the cluster" (configure-tool-params5.html): the trust anchor provisioning
 * stores in Secrets Manager. It is written under /tmp, the only writable directory in Lambda.
 *
 * The configuration is rebuilt when the cluster's ACTIVE HSMs change: "If you add or delete HSMs, update the
 * configuration files that the AWS CloudHSM client and the command line tools use" (cloudhsm_cli-user-list.html,
 * cloudhsm_cli-reference.html). Its key is the cluster id and the sorted ENI addresses of its ACTIVE HSMs.
 */
export class CliConfigurator {
  private readonly built = new Map<string, string>();
  private readonly workDir: string;

  constructor(
    private readonly deps: CliConfiguratorDeps,
    private readonly options: CliConfiguratorOptions,
  ) {
    this.workDir = options.workDir ?? CLI_WORK_DIR;
  }

  /** Makes the CLI configuration name `clusterId` with its current ACTIVE HSMs; a no-op while they are unchanged. */
  async ensure(clusterId: string): Promise<void> {
    const addresses = await this.activeAddresses(clusterId);
    const key = addresses.join(",");
    if (this.built.get(clusterId) === key) return;
    this.built.delete(clusterId);
    const trustAnchor = await this.deps.secrets.current(this.options.trustAnchorSecret(clusterId), { fresh: true });
    if (!trustAnchor?.includes("-----BEGIN CERTIFICATE-----")) {
      throw new HsmPathUnavailableError(
        `No trust anchor for ${clusterId} in the secret ${this.options.trustAnchorSecret(clusterId)}: the CLI cannot verify the HSMs`,
      );
    }
    await this.seedTemplate();
    const dir = join(this.workDir, clusterId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const caFile = join(dir, "customerCA.crt");
    await writeFile(caFile, trustAnchor.endsWith("\n") ? trustAnchor : `${trustAnchor}\n`);
    // A cluster already in the file is removed first: add-cluster on a known id is not documented to replace it.
    await this.options.run(["remove-cluster", "--cluster-id", clusterId], {});
    const added = await this.options.run(
      [
        "add-cluster",
        "--cluster-id",
        clusterId,
        "--region",
        this.options.region,
        ...(this.options.endpoint ? ["--endpoint", this.options.endpoint] : []),
        "--hsm-ca-cert",
        caFile,
      ],
      {},
    );
    if (added.spawnError || added.exitCode !== 0) {
      throw new HsmPathUnavailableError(`configure-cli add-cluster failed for ${clusterId}: ${describe(added)}`);
    }
    this.built.set(clusterId, key);
  }

  private async seedTemplate(): Promise<void> {
    const template = this.options.template;
    if (!template || (await exists(template.to))) return;
    if (!(await exists(template.from))) return;
    await mkdir(join(template.to, ".."), { recursive: true });
    await mkdir(join(this.workDir, "run"), { recursive: true });
    await copyFile(template.from, template.to);
  }

  /** The ENI addresses of the cluster's ACTIVE HSMs, sorted (CloudHSM API Reference, DescribeClusters, Hsm). */
  private async activeAddresses(clusterId: string): Promise<string[]> {
    const cluster = await findCluster(this.deps.clusters, clusterId);
    if (!cluster) throw new HsmClusterNotFoundError(`Cluster ${clusterId} not found`);
    const addresses = cluster.hsms.flatMap((h) => (h.state === "ACTIVE" && h.eniIp ? [h.eniIp] : [])).sort();
    if (addresses.length === 0) throw new HsmUnavailableError(`Cluster ${clusterId} has no active HSM`);
    return addresses;
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function describe(run: CliRun): string {
  if (run.spawnError) return run.spawnError;
  const text = run.stdout.trim();
  return text ? text.slice(0, 500) : `exit ${String(run.exitCode)}`;
}
