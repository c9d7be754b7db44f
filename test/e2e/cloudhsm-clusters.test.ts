import { spawnSync } from "node:child_process";
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
  ModifyClusterCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import {
  type ActiveCluster,
  addHsm,
  createCluster,
  createIntermediateCa,
  createTestCa,
  describeCluster,
  generateKeys,
  provisionActiveCluster,
  signClusterCsr,
  subnetIdInZone,
  x509,
} from "../support/cloudhsm";

describe("CloudHSM clusters and HSMs", () => {
  let account: LocalAccountProcess;
  let active: ActiveCluster;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    active = await provisionActiveCluster(account);
  });
  afterAll(() => account.stop());

  const client = () => account.cloudhsm();
  const clusterCount = async () => (await client().send(new DescribeClustersCommand({}))).Clusters?.length ?? 0;

  it("returns an ACTIVE cluster with two ACTIVE HSMs in two zones and a kmsuser when the fixture provisions one", async () => {
    const cluster = await describeCluster(account, active.clusterId);

    expect(cluster.State).toBe("ACTIVE");
    expect(cluster.Hsms?.map((h) => h.State)).toEqual(["ACTIVE", "ACTIVE"]);
    expect(new Set(cluster.Hsms?.map((h) => h.AvailabilityZone))).toEqual(new Set(["us-east-1a", "us-east-1b"]));
    expect(cluster.Certificates?.ClusterCertificate).toBe(active.signedCert);
    expect(cluster.Certificates?.ClusterCsr).toBeUndefined();
    const users = account.cli(["--cluster-id", active.clusterId, "user", "list"], active.admin).json?.data as {
      users: { username: string; role: string }[];
    };
    expect(users.users).toContainEqual(expect.objectContaining({ username: "kmsuser", role: "crypto-user" }));
    expect(users.users).toContainEqual(expect.objectContaining({ username: "admin", role: "admin" }));
  });

  it("returns CREATE_IN_PROGRESS with a subnet per derived zone, a VPC and a security group when CreateCluster is called", async () => {
    const subnetA = subnetIdInZone("a");
    const subnetC = subnetIdInZone("c");

    const out = await client().send(
      new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: [subnetA, subnetC] }),
    );

    expect(out.Cluster).toMatchObject({
      State: "CREATE_IN_PROGRESS",
      HsmType: "hsm2m.medium",
      SubnetMapping: { "us-east-1a": subnetA, "us-east-1c": subnetC },
      BackupPolicy: "DEFAULT",
      BackupRetentionPolicy: { Type: "DAYS", Value: "90" },
      Hsms: [],
    });
    expect(out.Cluster?.ClusterId).toMatch(/^cluster-[2-7a-z]{11}$/);
    expect(out.Cluster?.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(out.Cluster?.SecurityGroup).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(out.Cluster?.CreateTimestamp).toBeInstanceOf(Date);
  });

  it("returns UNINITIALIZED without a CSR when creation settles, and the CSR once the first HSM is ACTIVE", async () => {
    const cluster = await createCluster(account, { zones: ["a", "b"] });
    expect(cluster.State).toBe("UNINITIALIZED");
    expect(cluster.Certificates?.ClusterCsr).toBeUndefined();

    const created = await client().send(
      new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: "us-east-1b" }),
    );
    expect(created.Hsm).toMatchObject({ State: "CREATE_IN_PROGRESS", AvailabilityZone: "us-east-1b" });
    expect(created.Hsm?.EniIp).toMatch(/^10\.0\.\d+\.\d+$/);
    expect((await describeCluster(account, cluster.ClusterId as string)).Certificates?.ClusterCsr).toBeUndefined();

    await account.advance("6m");

    const after = await describeCluster(account, cluster.ClusterId as string);
    expect(after.Hsms?.[0]?.State).toBe("ACTIVE");
    const csr = new x509.Pkcs10CertificateRequest(after.Certificates?.ClusterCsr as string);
    expect(csr.subject).toContain(`CN=${cluster.ClusterId}`);
    expect(await csr.verify()).toBe(true);
  });

  describe("InitializeCluster", () => {
    let clusterId: string;
    let csr: string;
    beforeAll(async () => {
      clusterId = (await createCluster(account, { zones: ["a", "b"] })).ClusterId as string;
      await addHsm(account, clusterId, "a");
      csr = (await describeCluster(account, clusterId)).Certificates?.ClusterCsr as string;
    });

    const initialize = (signedCert: string, trustAnchor: string) =>
      client().send(
        new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signedCert, TrustAnchor: trustAnchor }),
      );

    const expectUnchanged = async () => {
      const cluster = await describeCluster(account, clusterId);
      expect(cluster.State).toBe("UNINITIALIZED");
      expect(cluster.Certificates?.ClusterCsr).toBe(csr);
      expect(cluster.Certificates?.ClusterCertificate).toBeUndefined();
    };

    it("returns CloudHsmInvalidRequestException naming the key when the certificate does not certify the CSR's key", async () => {
      const ca = await createTestCa();
      const signed = await signClusterCsr(csr, ca, (await generateKeys()).publicKey);

      await expect(initialize(signed, ca.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("public key is not the key in Certificates.ClusterCsr"),
      });
      await expectUnchanged();
    });

    it("returns CloudHsmInvalidRequestException when the trust anchor did not sign the certificate", async () => {
      const signed = await signClusterCsr(csr, await createTestCa());
      const other = await createTestCa({ name: "CN=some other root" });

      await expect(initialize(signed, other.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("SignedCert was not signed by TrustAnchor"),
      });
      await expectUnchanged();
    });

    it("returns CloudHsmInvalidRequestException when the trust anchor has extensions but is not a CA", async () => {
      const ca = await createTestCa({ ca: false });
      await expect(initialize(await signClusterCsr(csr, ca), ca.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("no Basic Constraints extension with CA:TRUE"),
      });

      const noConstraints = await createTestCa({ basicConstraints: false });
      await expect(initialize(await signClusterCsr(csr, noConstraints), noConstraints.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
      });
      await expectUnchanged();
    });

    it("returns CloudHsmInvalidRequestException when the trust anchor is an intermediate and not self-signed", async () => {
      const ica = await createIntermediateCa(await createTestCa());

      await expect(initialize(await signClusterCsr(csr, ica), ica.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("TrustAnchor is not self-signed"),
      });
      await expectUnchanged();
    });

    it("returns CloudHsmInvalidRequestException when the certificate is not PEM", async () => {
      const ca = await createTestCa();
      await expect(initialize("not a certificate", ca.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: "SignedCert is not a PEM-encoded certificate",
      });
      await expectUnchanged();
    });

    it("returns INITIALIZE_IN_PROGRESS with the documented message, then INITIALIZED without the CSR, when the chain is ICA→root", async () => {
      const root = await createTestCa();
      const ica = await createIntermediateCa(root);
      const signed = await signClusterCsr(csr, ica);

      const out = await initialize(signed, `${ica.pem}\n${root.pem}`);

      expect(out).toMatchObject({
        State: "INITIALIZE_IN_PROGRESS",
        StateMessage: "Cluster is initializing. State will change to INITIALIZED upon completion.",
      });
      const during = await describeCluster(account, clusterId);
      expect(during.State).toBe("INITIALIZE_IN_PROGRESS");
      expect(during.Certificates?.ClusterCsr).toBeUndefined();

      await account.advance("3m");

      const after = await describeCluster(account, clusterId);
      expect(after.State).toBe("INITIALIZED");
      expect(after.Certificates).toEqual({ ClusterCertificate: signed });
      const users = account.cli(["--cluster-id", clusterId, "user", "list"]).json?.data as { users: unknown[] };
      expect(users.users).toContainEqual(expect.objectContaining({ username: "admin", role: "unactivated-admin" }));
    });

    it("returns CloudHsmInvalidRequestException when the cluster is no longer UNINITIALIZED", async () => {
      const ca = await createTestCa();
      await expect(initialize(await signClusterCsr(csr, ca), ca.pem)).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("only an UNINITIALIZED cluster can be initialized"),
      });
    });
  });

  it("returns CloudHsmInvalidRequestException when the HSM's zone has no subnet in the cluster", async () => {
    await expect(
      client().send(new CreateHsmCommand({ ClusterId: active.clusterId, AvailabilityZone: "us-east-1c" })),
    ).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
      message: expect.stringContaining("us-east-1c is not one of the cluster's subnet zones"),
    });
  });

  it("returns the requested address when CreateHsm gives an IpAddress of the subnet, and an error for another", async () => {
    const cluster = await describeCluster(account, active.clusterId);
    const subnetB = cluster.SubnetMapping?.["us-east-1b"] as string;
    const prefix = `10.0.${Number.parseInt(subnetB.slice(-2), 16)}`;

    const created = await client().send(
      new CreateHsmCommand({ ClusterId: active.clusterId, AvailabilityZone: "us-east-1b", IpAddress: `${prefix}.250` }),
    );

    expect(created.Hsm).toMatchObject({ EniIp: `${prefix}.250`, SubnetId: subnetB });
    await expect(
      client().send(
        new CreateHsmCommand({
          ClusterId: active.clusterId,
          AvailabilityZone: "us-east-1b",
          IpAddress: `${prefix}.250`,
        }),
      ),
    ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException", message: expect.stringContaining("in use") });
    await expect(
      client().send(
        new CreateHsmCommand({ ClusterId: active.clusterId, AvailabilityZone: "us-east-1b", IpAddress: "192.168.0.9" }),
      ),
    ).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
      message: expect.stringContaining(`is not a free address of subnet ${subnetB}`),
    });
    await account.advance("6m");
    await client().send(new DeleteHsmCommand({ ClusterId: active.clusterId, HsmId: created.Hsm?.HsmId }));
    await account.advance("3m");
  });

  it("returns CloudHsmInvalidRequestException when two subnets are in the same zone", async () => {
    await expect(
      client().send(
        new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: [subnetIdInZone("a"), subnetIdInZone("a")] }),
      ),
    ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException" });
  });

  it("returns ValidationException naming the field and creates nothing when the input is malformed", async () => {
    const before = await clusterCount();

    await expect(
      client().send(new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: ["subnet-xyz"] })),
    ).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("'subnetIds.0'") });
    await expect(
      client().send(
        new CreateClusterCommand({
          HsmType: "hsm2m.medium",
          SubnetIds: [subnetIdInZone("a")],
          BackupRetentionPolicy: { Type: "DAYS", Value: "5" },
        }),
      ),
    ).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("'backupRetentionPolicy.Value'"),
    });
    await expect(client().send(new DescribeClustersCommand({ MaxResults: 26 }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("'maxResults'"),
    });

    expect(await clusterCount()).toBe(before);
  });

  it("returns clusters page by page and filtered by id, VPC and state", async () => {
    const all = (await client().send(new DescribeClustersCommand({}))).Clusters ?? [];
    const first = await client().send(new DescribeClustersCommand({ MaxResults: 1 }));
    const second = await client().send(new DescribeClustersCommand({ MaxResults: 1, NextToken: first.NextToken }));
    const byVpc = await client().send(new DescribeClustersCommand({ Filters: { vpcIds: [all[0]?.VpcId as string] } }));
    const active_ = await client().send(new DescribeClustersCommand({ Filters: { states: ["ACTIVE"] } }));

    expect(first.Clusters?.map((c) => c.ClusterId)).toEqual([all[0]?.ClusterId]);
    expect(second.Clusters?.map((c) => c.ClusterId)).toEqual([all[1]?.ClusterId]);
    expect(byVpc.Clusters?.map((c) => c.ClusterId)).toEqual([all[0]?.ClusterId]);
    expect(active_.Clusters?.map((c) => c.ClusterId)).toEqual([active.clusterId]);
    await expect(client().send(new DescribeClustersCommand({ Filters: { colour: ["red"] } }))).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
    });
  });

  it("returns HSM and cluster DEGRADED when an HSM degrades, and ACTIVE again when it is restored", async () => {
    const hsmId = active.hsms[1]?.HsmId as string;

    const degraded = await account.control<{ clusterState: string }>("POST", "/_local/actions/degrade-hsm", { hsmId });
    const during = await describeCluster(account, active.clusterId);
    await account.control("POST", "/_local/actions/restore-hsm", { hsmId });
    const after = await describeCluster(account, active.clusterId);

    expect(degraded.clusterState).toBe("DEGRADED");
    expect(during.State).toBe("DEGRADED");
    expect(during.Hsms?.find((h) => h.HsmId === hsmId)?.State).toBe("DEGRADED");
    expect(after.State).toBe("ACTIVE");
    expect(after.Hsms?.every((h) => h.State === "ACTIVE")).toBe(true);
  });

  it("returns the cluster from the real AWS CLI v2 when it calls describe-clusters", () => {
    const run = spawnSync(
      "/usr/bin/aws",
      [
        "--endpoint-url",
        account.endpoint,
        "cloudhsmv2",
        "describe-clusters",
        "--filters",
        `clusterIds=${active.clusterId}`,
      ],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: "us-east-1",
          AWS_PAGER: "",
        },
      },
    );

    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { Clusters: { ClusterId: string; State: string; Hsms: unknown[] }[] };
    expect(out.Clusters).toEqual([expect.objectContaining({ ClusterId: active.clusterId, State: "ACTIVE" })]);
    expect(out.Clusters[0]?.Hsms).toHaveLength(2);
  });

  it("returns CreateHsm and InitializeCluster as CloudTrail events shaped as CloudTrail records them", async () => {
    type Detail = { eventName: string; requestParameters: { clusterId?: string }; responseElements: { hsm?: object } };
    const events = (await account.events()).map((e) => e.event as typeof e.event & { detail: Detail });
    const createHsm = events.find(
      (e) => e.detail.eventName === "CreateHsm" && e.detail.requestParameters.clusterId === active.clusterId,
    );

    expect(createHsm).toMatchObject({
      source: "aws.cloudhsm",
      "detail-type": "AWS API Call via CloudTrail",
      detail: {
        eventSource: "cloudhsm.amazonaws.com",
        eventType: "AwsApiCall",
        requestParameters: { availabilityZone: "us-east-1a", clusterId: active.clusterId },
        responseElements: {
          hsm: expect.objectContaining({
            clusterId: active.clusterId,
            state: "CREATE_IN_PROGRESS",
            availabilityZone: "us-east-1a",
          }),
        },
      },
    });
    expect(createHsm?.detail.responseElements.hsm).toHaveProperty("eniId");
    expect(events.some((e) => e.detail.eventName === "InitializeCluster")).toBe(true);
  });

  it("returns DELETE_IN_PROGRESS then removes the HSM, and refuses to delete a cluster that still has HSMs", async () => {
    const cluster = await createCluster(account, { zones: ["b", "c"] });
    const clusterId = cluster.ClusterId as string;
    const hsm = await addHsm(account, clusterId, "c");

    await expect(client().send(new DeleteHsmCommand({ ClusterId: clusterId }))).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
      message: "Specify exactly one of HsmId, EniId or EniIp",
    });
    await expect(client().send(new DeleteClusterCommand({ ClusterId: clusterId }))).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
      message: expect.stringContaining("delete every HSM before the cluster"),
    });

    const deleted = await client().send(new DeleteHsmCommand({ ClusterId: clusterId, EniIp: hsm.EniIp }));
    expect(deleted.HsmId).toBe(hsm.HsmId);
    expect((await describeCluster(account, clusterId)).Hsms?.[0]?.State).toBe("DELETE_IN_PROGRESS");

    await account.advance("3m");
    expect((await describeCluster(account, clusterId)).Hsms).toEqual([]);

    const deleting = await client().send(new DeleteClusterCommand({ ClusterId: clusterId }));
    expect(deleting.Cluster?.State).toBe("DELETE_IN_PROGRESS");
    await account.advance("3m");
    expect((await describeCluster(account, clusterId)).State).toBe("DELETED");
    await expect(
      client().send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: "us-east-1b" })),
    ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException" });
  });

  it("returns CloudHsmResourceNotFoundException when the cluster does not exist", async () => {
    await expect(
      client().send(new CreateHsmCommand({ ClusterId: "cluster-aaaaaaaaaaa", AvailabilityZone: "us-east-1a" })),
    ).rejects.toMatchObject({ name: "CloudHsmResourceNotFoundException" });
  });

  it("returns every cluster and in-progress HSM as before, and settles them, when the account is killed and restarted", async () => {
    const created = await client().send(
      new CreateHsmCommand({ ClusterId: active.clusterId, AvailabilityZone: "us-east-1a" }),
    );
    const before = (await client().send(new DescribeClustersCommand({}))).Clusters?.map((c) => c.ClusterId);

    await account.crashAndRestart();

    const after = await client().send(new DescribeClustersCommand({}));
    expect(after.Clusters?.map((c) => c.ClusterId)).toEqual(before);
    const during = await describeCluster(account, active.clusterId);
    expect(during.Hsms?.find((h) => h.HsmId === created.Hsm?.HsmId)?.State).toBe("CREATE_IN_PROGRESS");
    expect(during.State).toBe("UPDATE_IN_PROGRESS");
    await account.advance("6m");
    const settled = await describeCluster(account, active.clusterId);
    expect(settled.Hsms?.find((h) => h.HsmId === created.Hsm?.HsmId)?.State).toBe("ACTIVE");
    expect(settled.State).toBe("ACTIVE");
    expect(account.cli(["--cluster-id", active.clusterId, "user", "list"], active.admin).json?.error_code).toBe(0);
  });

  /**
   * The states the API Reference lists for a cluster ("Cluster" data type) while CloudHSM changes it. The User Guide
   * is silent on the cluster's state while an HSM is added or removed ("Adding or removing HSMs"), so the local account
   * shows the less convenient UPDATE_IN_PROGRESS; ModifyCluster and its rollback follow "Migrating from hsm1.medium to
   * hsm2m.medium" (the whole cluster in limited-write mode, a rollback back to what it was).
   */
  describe("passing states", () => {
    it("returns UPDATE_IN_PROGRESS while an activated cluster's HSM is created or deleted, and ACTIVE after", async () => {
      const { clusterId } = await provisionActiveCluster(account);

      const created = await client().send(
        new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: "us-east-1a" }),
      );
      const creating = await describeCluster(account, clusterId);
      await account.advance("6m");
      const afterCreate = await describeCluster(account, clusterId);
      await client().send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: created.Hsm?.HsmId }));
      const deleting = await describeCluster(account, clusterId);
      await account.advance("3m");
      const afterDelete = await describeCluster(account, clusterId);

      expect(creating).toMatchObject({ State: "UPDATE_IN_PROGRESS", StateMessage: expect.stringContaining("HSM") });
      expect(afterCreate.State).toBe("ACTIVE");
      expect(afterCreate.StateMessage).toBeUndefined();
      expect(deleting.State).toBe("UPDATE_IN_PROGRESS");
      expect(afterDelete.State).toBe("ACTIVE");
      expect(afterDelete.Hsms).toHaveLength(2);
      const inProgress = await client().send(
        new DescribeClustersCommand({ Filters: { states: ["UPDATE_IN_PROGRESS"] } }),
      );
      expect(inProgress.Clusters?.map((c) => c.ClusterId)).not.toContain(clusterId);
    });

    it("returns UNINITIALIZED, not UPDATE_IN_PROGRESS, while the first HSM of a new cluster is created", async () => {
      const cluster = await createCluster(account, { zones: ["a", "b"] });
      const clusterId = cluster.ClusterId as string;
      await account.advance("4m");

      await client().send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: "us-east-1a" }));

      expect((await describeCluster(account, clusterId)).State).toBe("UNINITIALIZED");
    });

    it("returns MODIFY_IN_PROGRESS with the new retention, refuses HSM changes meanwhile, then the state it was in", async () => {
      const { clusterId, hsms, admin } = await provisionActiveCluster(account);

      const modified = await client().send(
        new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "30" } }),
      );

      expect(modified.Cluster).toMatchObject({ State: "MODIFY_IN_PROGRESS", BackupRetentionPolicy: { Value: "30" } });
      await expect(
        client().send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: "us-east-1c" })),
      ).rejects.toMatchObject({
        name: "CloudHsmInvalidRequestException",
        message: expect.stringContaining("MODIFY_IN_PROGRESS"),
      });
      await expect(
        client().send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: hsms[0]?.HsmId })),
      ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException" });
      await expect(
        client().send(
          new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "40" } }),
        ),
      ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException" });
      expect(account.cli(["--cluster-id", clusterId, "user", "list"], admin).json?.error_code).toBe(0);
      await account.advance("11m");
      expect(await describeCluster(account, clusterId)).toMatchObject({
        State: "ACTIVE",
        BackupRetentionPolicy: { Value: "30" },
      });
    });

    it("returns ROLLBACK_IN_PROGRESS, then the earlier state and retention, when a rollback is armed", async () => {
      const cluster = await createCluster(account, { zones: ["a", "b"] });
      const clusterId = cluster.ClusterId as string;
      await account.advance("4m");
      const retention = (await describeCluster(account, clusterId)).BackupRetentionPolicy?.Value;
      await account.arm({ kind: "cluster-rollback", clusterId });

      await client().send(
        new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "45" } }),
      );
      await account.advance("11m");
      const rollingBack = await describeCluster(account, clusterId);
      await account.advance("2m");
      const after = await describeCluster(account, clusterId);

      expect(rollingBack.State).toBe("ROLLBACK_IN_PROGRESS");
      expect(after).toMatchObject({ State: "UNINITIALIZED", BackupRetentionPolicy: { Value: retention } });
      expect(retention).not.toBe("45");
    });
  });
});
