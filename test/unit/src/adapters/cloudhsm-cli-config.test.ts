import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CloudHSMV2Client, type Cluster, DescribeClustersCommand, type Hsm } from "@aws-sdk/client-cloudhsm-v2";
import { type CliRun, CloudHsmCli } from "../../../../src/adapters/cloudhsm-cli";
import { CliConfigurator } from "../../../../src/adapters/cloudhsm-cli-config";
import { CloudHsmClusters } from "../../../../src/adapters/clusters";

const CLUSTER = "cluster-abcdefghijk";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const SECRET = `keystore-autopilot/trust-anchor/${CLUSTER}`;
const ok: CliRun = { stdout: "", exitCode: 0 };

/**
 * The CloudHSM client at its boundary (`send`), as the connect-key-store steps' test
 * (test/unit/src/workflows/connect-key-store/steps.test.ts) does: aws-sdk-client-mock's types do not fit
 * client-cloudhsm-v2 3.332. Only DescribeClusters filtered on the one cluster is answered.
 */
let clusters: Cluster[] = [];
const cloudhsm = {
  send: async (command: unknown) => {
    if (!(command instanceof DescribeClustersCommand)) throw new Error("unexpected CloudHSM call");
    const ids = command.input.Filters?.clusterIds ?? [];
    return { Clusters: clusters.filter((c) => ids.includes(c.ClusterId as string)) };
  },
} as unknown as Pick<CloudHSMV2Client, "send">;
const hsm = (EniIp: string, State: Hsm["State"] = "ACTIVE"): Hsm => ({
  HsmId: `hsm-${EniIp.replaceAll(".", "")}aaaaaaa`,
  AvailabilityZone: "us-east-1a",
  ClusterId: CLUSTER,
  EniIp,
  State,
});
const clusterWith = (...hsms: Hsm[]) => {
  clusters = [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: hsms }];
};

describe("CloudHSM CLI configuration built at run time", () => {
  let workDir: string;
  let runs: string[][];
  let secrets: Record<string, string>;
  let answer: (argv: string[]) => CliRun;

  const configurator = () =>
    new CliConfigurator(
      {
        clusters: new CloudHsmClusters(cloudhsm),
        secrets: { current: async (id) => secrets[id] },
      },
      {
        run: async (argv) => {
          runs.push(argv);
          return answer(argv);
        },
        region: "us-east-1",
        endpoint: "https://cloudhsmv2.example",
        trustAnchorSecret: (id) => `keystore-autopilot/trust-anchor/${id}`,
        workDir,
      },
    );

  beforeEach(() => {
    clusters = [];
    workDir = mkdtempSync(join(tmpdir(), "cli-config-"));
    runs = [];
    secrets = { [SECRET]: PEM };
    answer = () => ok;
  });

  it("returns after adding the cluster with its trust anchor under the work directory when no configuration was built", async () => {
    clusterWith(hsm("10.0.1.5"), hsm("10.0.0.7"), hsm("10.0.2.9", "CREATE_IN_PROGRESS"));

    await configurator().ensure(CLUSTER);

    const caFile = join(workDir, CLUSTER, "customerCA.crt");
    expect(runs).toEqual([
      ["remove-cluster", "--cluster-id", CLUSTER],
      [
        "add-cluster",
        "--cluster-id",
        CLUSTER,
        "--region",
        "us-east-1",
        "--endpoint",
        "https://cloudhsmv2.example",
        "--hsm-ca-cert",
        caFile,
      ],
    ]);
    expect(readFileSync(caFile, "utf8")).toBe(PEM);
  });

  it("returns without running the configure tool again when the cluster's ACTIVE HSMs are unchanged", async () => {
    clusterWith(hsm("10.0.1.5"), hsm("10.0.0.7"));
    const config = configurator();
    await config.ensure(CLUSTER);
    runs = [];
    // Same HSMs in another order, plus one still being created: the configuration stands.
    clusterWith(hsm("10.0.0.7"), hsm("10.0.1.5"), hsm("10.0.2.9", "CREATE_IN_PROGRESS"));

    await config.ensure(CLUSTER);

    expect(runs).toEqual([]);
  });

  it("returns after rebuilding the configuration when an HSM was replaced", async () => {
    clusterWith(hsm("10.0.1.5"), hsm("10.0.0.7"));
    const config = configurator();
    await config.ensure(CLUSTER);
    runs = [];
    clusterWith(hsm("10.0.1.5"), hsm("10.0.0.8"));

    await config.ensure(CLUSTER);

    expect(runs.map((argv) => argv[0])).toEqual(["remove-cluster", "add-cluster"]);
  });

  it("returns HsmUnavailableError and configures nothing when the cluster has no ACTIVE HSM", async () => {
    clusterWith(hsm("10.0.1.5", "CREATE_IN_PROGRESS"), hsm("10.0.0.7", "DELETE_IN_PROGRESS"));

    await expect(configurator().ensure(CLUSTER)).rejects.toMatchObject({ name: "HsmUnavailableError" });
    expect(runs).toEqual([]);
  });

  it("returns HsmClusterNotFoundError and configures nothing when DescribeClusters does not know the cluster", async () => {
    clusters = [];

    await expect(configurator().ensure(CLUSTER)).rejects.toMatchObject({ name: "HsmClusterNotFoundError" });
    expect(runs).toEqual([]);
  });

  it("returns HsmPathUnavailableError naming the secret and configures nothing when the trust anchor is missing", async () => {
    clusterWith(hsm("10.0.1.5"));
    secrets = {};

    await expect(configurator().ensure(CLUSTER)).rejects.toMatchObject({
      name: "HsmPathUnavailableError",
      message: expect.stringContaining(SECRET),
    });
    expect(runs).toEqual([]);
  });

  it("returns HsmPathUnavailableError, then configures again on the next call, when add-cluster fails", async () => {
    clusterWith(hsm("10.0.1.5"));
    answer = (argv) => (argv[0] === "add-cluster" ? { stdout: "cannot reach the CloudHSM API", exitCode: 1 } : ok);
    const config = configurator();

    await expect(config.ensure(CLUSTER)).rejects.toMatchObject({
      name: "HsmPathUnavailableError",
      message: expect.stringContaining("cannot reach the CloudHSM API"),
    });
    answer = () => ok;
    runs = [];
    await config.ensure(CLUSTER);

    expect(runs.map((argv) => argv[0])).toEqual(["remove-cluster", "add-cluster"]);
  });

  it("returns after seeding the CLI's configuration from the layer's template once when the instance has none yet", async () => {
    clusterWith(hsm("10.0.1.5"));
    const layer = mkdtempSync(join(tmpdir(), "layer-"));
    const from = join(layer, "cloudhsm-cli.cfg");
    writeFileSync(from, '{"logging":{"log_type":"term"}}');
    const to = join(workDir, "etc", "cloudhsm-cli.cfg");
    const seeded: string[] = [];
    const config = new CliConfigurator(
      { clusters: new CloudHsmClusters(cloudhsm), secrets: { current: async (id) => secrets[id] } },
      {
        run: async (argv) => {
          // What the configure tool finds when it runs: the template, then its own additions.
          seeded.push(readFileSync(to, "utf8"));
          if (argv[0] === "add-cluster") writeFileSync(to, '{"logging":{"log_type":"term"},"clusters":[1]}');
          return ok;
        },
        region: "us-east-1",
        trustAnchorSecret: (id) => `keystore-autopilot/trust-anchor/${id}`,
        workDir,
        template: { from, to },
      },
    );

    await config.ensure(CLUSTER);
    clusterWith(hsm("10.0.1.6"));
    await config.ensure(CLUSTER);

    expect(seeded).toEqual([
      '{"logging":{"log_type":"term"}}',
      '{"logging":{"log_type":"term"}}',
      '{"logging":{"log_type":"term"},"clusters":[1]}',
      '{"logging":{"log_type":"term"},"clusters":[1]}',
    ]);
  });

  it("returns users after configuring the cluster first and naming it with the command's own --cluster-id", async () => {
    const order: string[] = [];
    const cli = new CloudHsmCli(
      async (argv) => {
        order.push(`run ${argv.join(" ")}`);
        return { stdout: JSON.stringify({ error_code: 0, data: { users: [] } }), exitCode: 0 };
      },
      { ensure: async (id) => void order.push(`configure ${id}`) },
    );

    await cli.listUsers(CLUSTER, { username: "admin", role: "admin", password: "AdminPassw0rd" });

    expect(order).toEqual([`configure ${CLUSTER}`, `run user list --cluster-id ${CLUSTER}`]);
  });
});
