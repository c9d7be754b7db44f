import { CloudHsmClusters } from "../../../../../src/adapters/clusters";
import { StepFunctionsExecutions } from "../../../../../src/adapters/executions";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import { clusterReply, fakeCloudHsm } from "../../../../support/fake-cloudhsm";
import { cliFailed, cliOk, memorySecrets } from "../../../../support/fakes";
import "reflect-metadata";
import { createPublicKey, generateKeyPairSync, type KeyObject, webcrypto, X509Certificate } from "node:crypto";
import { CreateHsmCommand, DeleteHsmCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { type ExecutionStatus, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import * as x509 from "@peculiar/x509";
import { mockClient } from "aws-sdk-client-mock";
import { provisionExecutionName } from "../../../../../cli/provision-name";
import { generateClusterCsr } from "../../../../../local/account/cloudhsm/certificates";
import { CloudHsmCli } from "../../../../../src/adapters/cloudhsm-cli";
import { HsmCommandError } from "../../../../../src/ports/hsm";
import type { SecretsStore } from "../../../../../src/ports/secrets";
import { parseOrThrow } from "../../../../../src/validation";
import { checkCertificates, createCa, signCsr } from "../../../../../src/workflows/provision-key-store/certificates";
import { ensureHsms } from "../../../../../src/workflows/provision-key-store/cluster-steps";
import { createKeyStore } from "../../../../../src/workflows/provision-key-store/key-store-steps";
import { ProvisionInputSchema } from "../../../../../src/workflows/provision-key-store/model";
import { planProvisioning } from "../../../../../src/workflows/provision-key-store/plan";
import type { ProvisionDeps } from "../../../../../src/workflows/provision-key-store/steps";

const CLUSTER = "cluster-abcdefghijk";
const NOW = new Date();

const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
const fakeHsmApi = fakeCloudHsm();
const { port: cloudhsm, replies: cloudhsmReplies, calls: cloudhsmCalls } = fakeHsmApi;

function deps(secrets: SecretsStore = memorySecrets()): ProvisionDeps {
  return {
    clusters: new CloudHsmClusters(cloudhsm),
    keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
    executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
    secrets,
    hsm: new CloudHsmCli(async () => cliOk({})),
    now: () => NOW,
  };
}

describe("Hsm port: provision-key-store additions (CloudHSM CLI adapter)", () => {
  it("returns after `cluster activate` runs without a login, the password typed at its prompts, when activation succeeds", async () => {
    const calls: { argv: string[]; env: Record<string, string>; stdin?: string }[] = [];
    const cli = new CloudHsmCli(async (argv, env, stdin) => {
      calls.push({ argv, env, stdin });
      return cliOk("Cluster activation successful");
    });

    await cli.activateCluster(CLUSTER, "AdminPassw0rd1");

    expect(calls).toEqual([
      { argv: ["cluster", "activate", "--cluster-id", CLUSTER], env: {}, stdin: "AdminPassw0rd1\nAdminPassw0rd1\n" },
    ]);
  });

  it("returns an HsmCommandError without the password when activation fails with a message quoting it", async () => {
    const cli = new CloudHsmCli(async () => cliFailed("Password AdminPassw0rd1 is not valid here"));

    const error = (await cli.activateCluster(CLUSTER, "AdminPassw0rd1").catch((e: unknown) => e)) as Error;

    expect(error).toBeInstanceOf(HsmCommandError);
    expect(error.message).not.toContain("AdminPassw0rd1");
  });

  it("returns the user's cluster coverage, or missing, when `user list` is read", async () => {
    const cli = new CloudHsmCli(async () =>
      cliOk({ users: [{ username: "KmsUser", role: "crypto-user", locked: "false", "cluster-coverage": "partial" }] }),
    );
    const admin = { username: "admin", role: "admin" as const, password: "AdminPassw0rd1" };

    expect(await cli.userCoverage(CLUSTER, admin, "kmsuser")).toBe("partial");
    expect(await cli.userCoverage(CLUSTER, admin, "nobody")).toBe("missing");
  });
});

describe("provision-key-store certificates", () => {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

  it("returns a certificate that passes every InitializeCluster check when the product's CA signs the CSR", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const ca = await createCa(CLUSTER, NOW);

    const signedCert = await signCsr(csrPem, ca, NOW);

    expect(() => checkCertificates({ signedCert, trustAnchor: ca.certificate, csrPem, now: NOW })).not.toThrow();
    expect(new x509.X509Certificate(ca.certificate).getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.privateKey).toContain("PRIVATE KEY");
    expect(signedCert).not.toContain("PRIVATE KEY");
  });

  it("returns a certificate that passes every InitializeCluster check when a customer's RSA CA signs the CSR", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]) };
    const keys = (await webcrypto.subtle.generateKey({ ...algorithm, modulusLength: 2048 }, true, [
      "sign",
      "verify",
    ])) as webcrypto.CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=customer root, O=customer",
      keys,
      signingAlgorithm: algorithm,
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 86_400_000 * 365),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    const ca = { certificate: root.toString("pem"), privateKey: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };

    const signedCert = await signCsr(csrPem, ca, NOW);

    expect(() => checkCertificates({ signedCert, trustAnchor: ca.certificate, csrPem, now: NOW })).not.toThrow();
    const parsed = new x509.X509Certificate(signedCert);
    expect(parsed.issuer).toBe(root.subject);
    expect(parsed.notAfter.getTime()).toBeLessThanOrEqual(root.notAfter.getTime());
    expect(await parsed.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
  });

  it("returns CertificateRejectedError when the signed certificate is for another CSR", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const other = generateClusterCsr(CLUSTER, "hsm2m.medium").csrPem;
    const ca = await createCa(CLUSTER, NOW);
    const signedCert = await signCsr(other, ca, NOW);

    expect(() => checkCertificates({ signedCert, trustAnchor: ca.certificate, csrPem, now: NOW })).toThrow(
      /does not match the cluster CSR/,
    );
  });

  it("returns CertificateRejectedError when the trust anchor did not sign the certificate", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const signedCert = await signCsr(csrPem, await createCa(CLUSTER, NOW), NOW);
    const stranger = await createCa("cluster-otherotherx", NOW);

    expect(() => checkCertificates({ signedCert, trustAnchor: stranger.certificate, csrPem, now: NOW })).toThrow(
      /not signed by the trust anchor/,
    );
  });

  it("returns CertificateRejectedError without echoing the key when a private key is given as the trust anchor", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const ca = await createCa(CLUSTER, NOW);
    const signedCert = await signCsr(csrPem, ca, NOW);

    const run = () => checkCertificates({ signedCert, trustAnchor: ca.privateKey, csrPem, now: NOW });

    expect(run).toThrow(/not a CERTIFICATE/);
    try {
      run();
    } catch (error: unknown) {
      expect((error as Error).message).not.toContain(ca.privateKey.split("\n")[1]);
    }
  });

  it("returns CertificateRejectedError when the root has extensions but no Basic Constraints", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as webcrypto.CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=no constraints",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 86_400_000 * 365),
      extensions: [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    const ca = { certificate: root.toString("pem"), privateKey: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
    const signedCert = await signCsr(csrPem, ca, NOW);

    expect(() => checkCertificates({ signedCert, trustAnchor: ca.certificate, csrPem, now: NOW })).toThrow(
      /Basic Constraints/,
    );
  });

  it("returns a certificate with the CSR's subject and key, issued by the CA's subject, when the managed CA signs", async () => {
    const { csrPem, publicKeyPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const ca = await createCa(CLUSTER, NOW);

    const signed = new X509Certificate(await signCsr(csrPem, ca, NOW));

    expect(signed.subject).toBe(`C=US\nO=AWS CloudHSM (local account)\nOU=hsm2m.medium\nCN=${CLUSTER}`);
    expect(signed.issuer).toBe(new X509Certificate(ca.certificate).subject);
    expect(signed.publicKey.equals(createPublicKey(publicKeyPem))).toBe(true);
    expect(signed.verify(new X509Certificate(ca.certificate).publicKey)).toBe(true);
  });

  it("returns CertificateRejectedError when the CSR's signature does not verify", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const at = der.indexOf(CLUSTER);
    der[at] = "d".charCodeAt(0); // the subject's CN now reads dluster-…: the CSR's signature no longer covers it
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;

    const error = (await signCsr(tampered, await createCa(CLUSTER, NOW), NOW).catch((e: unknown) => e)) as Error;

    expect(error.name).toBe("CertificateRejectedError");
    expect(error.message).toBe("The cluster CSR's signature does not verify");
  });

  it("returns CertificateRejectedError when the CSR is not a PKCS#10 request", async () => {
    const ca = await createCa(CLUSTER, NOW);
    const notCsr = ca.certificate.replace(/CERTIFICATE/g, "CERTIFICATE REQUEST");

    const error = (await signCsr(notCsr, ca, NOW).catch((e: unknown) => e)) as Error;
    const notPem = (await signCsr("MIIB…", ca, NOW).catch((e: unknown) => e)) as Error;

    expect(error.name).toBe("CertificateRejectedError");
    expect(error.message).toBe("The cluster CSR is not a valid PKCS#10 certificate request");
    expect(notPem.message).toBe("The cluster CSR is not a PEM-encoded certificate request");
  });

  it("returns CertificateRejectedError naming the key when the CA key is neither RSA nor an accepted EC curve", async () => {
    const { csrPem } = generateClusterCsr(CLUSTER, "hsm2m.medium");
    const ca = await createCa(CLUSTER, NOW);
    const pkcs8 = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }).toString();
    const ed25519 = pkcs8(generateKeyPairSync("ed25519").privateKey);
    const secp256k1 = pkcs8(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey);

    const edError = (await signCsr(csrPem, { ...ca, privateKey: ed25519 }, NOW).catch((e: unknown) => e)) as Error;
    const curveError = (await signCsr(csrPem, { ...ca, privateKey: secp256k1 }, NOW).catch((e: unknown) => e)) as Error;

    expect(edError.name).toBe("CertificateRejectedError");
    expect(edError.message).toBe("The CA key is ed25519; use an RSA or EC key");
    expect(curveError.message).toBe("The CA key uses an EC curve CloudHSM does not accept");
  });
});

describe("provision-key-store steps", () => {
  beforeEach(() => {
    kms.reset();
    fakeHsmApi.reset();
  });

  it("returns InvalidInputError naming the field when the input is bad", () => {
    const base = { keyStoreName: "payments", subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] };
    const issue = (input: unknown) => ProvisionInputSchema.safeParse(input).error?.issues[0]?.path.join(".");

    expect(ProvisionInputSchema.parse(base)).toMatchObject({
      hsmType: "hsm2m.medium",
      hsmCount: 2,
      ca: { mode: "managed" },
    });
    expect(issue({ ...base, subnetIds: ["subnet-0123456789abcdef0"] })).toBe("subnetIds");
    expect(issue({ ...base, hsmType: "hsm3.large" })).toBe("hsmType");
    expect(issue({ ...base, keyStoreName: "no spaces allowed" })).toBe("keyStoreName");
    expect(issue({ ...base, ca: { mode: "secret", secretId: "other/ca" } })).toBe("ca.secretId");
    // Another cluster's managed CA (or any kind but customer-ca) cannot be named.
    expect(issue({ ...base, ca: { mode: "secret", secretId: `keystore-autopilot/managed-ca/${CLUSTER}` } })).toBe(
      "ca.secretId",
    );
    expect(issue({ ...base, ca: { mode: "secret", secretId: `keystore-autopilot/admin/${CLUSTER}` } })).toBe(
      "ca.secretId",
    );
    expect(
      ProvisionInputSchema.parse({ ...base, ca: { mode: "secret", secretId: "keystore-autopilot/customer-ca/org" } })
        .ca,
    ).toEqual({ mode: "secret", secretId: "keystore-autopilot/customer-ca/org" });
    expect(issue({ keyStoreName: "payments" })).toBe("subnetIds");
  });

  it("returns KeyStoreNameInUseError before creating anything when the name belongs to a store on another cluster", async () => {
    cloudhsmReplies.set(DescribeClustersCommand, { Clusters: [] });
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: "cks-1", CustomKeyStoreName: "payments", CloudHsmClusterId: CLUSTER }],
    });

    const input = parseOrThrow(ProvisionInputSchema, {
      keyStoreName: "payments",
      subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    });
    const error = (await planProvisioning(deps(), input).catch((e: unknown) => e)) as Error;

    expect(error.name).toBe("KeyStoreNameInUseError");
    expect(error.message).toContain("keyStoreName:");
    expect(cloudhsmCalls.map((c) => c.command)).toEqual(["DescribeClustersCommand"]);
  });

  it("returns a replacement in the zone lacking an HSM after deleting a DEGRADED one", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(CLUSTER, "DEGRADED", { "us-east-1a": "subnet-a", "us-east-1b": "subnet-b" }, [
        ["hsm-aaaaaaaaaaa", "us-east-1a", "ACTIVE"],
        ["hsm-bbbbbbbbbbb", "us-east-1b", "DEGRADED"],
      ]),
    );
    cloudhsmReplies.set(CreateHsmCommand, { Hsm: { HsmId: "hsm-ccccccccccc" } });
    cloudhsmReplies.set(DeleteHsmCommand, { HsmId: "hsm-bbbbbbbbbbb" });

    const out = await ensureHsms(deps(), { clusterId: CLUSTER, target: 2, replaced: 0 });

    expect(out).toMatchObject({ ready: false, replaced: 1, created: ["hsm-ccccccccccc"] });
    expect(cloudhsmCalls.slice(1)).toEqual([
      { command: "DeleteHsmCommand", input: { ClusterId: CLUSTER, HsmId: "hsm-bbbbbbbbbbb" } },
      { command: "CreateHsmCommand", input: { ClusterId: CLUSTER, AvailabilityZone: "us-east-1b" } },
    ]);
  });

  it.each(["MODIFY_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "PENDING_ROLLBACK"])(
    "returns not ready and creates or deletes nothing when the cluster is %s",
    async (state) => {
      cloudhsmReplies.set(
        DescribeClustersCommand,
        clusterReply(CLUSTER, state, { "us-east-1a": "subnet-a", "us-east-1b": "subnet-b" }, [
          ["hsm-bbbbbbbbbbb", "us-east-1a", "DEGRADED"],
        ]),
      );

      const out = await ensureHsms(deps(), { clusterId: CLUSTER, target: 2, replaced: 0 });

      expect(out).toEqual({
        ready: false,
        replaced: 0,
        created: [],
        hsms: [{ hsmId: "hsm-bbbbbbbbbbb", az: "us-east-1a", state: "DEGRADED" }],
      });
      expect(cloudhsmCalls.map((c) => c.command)).toEqual(["DescribeClustersCommand"]);
    },
  );

  it("returns a new HSM in the zone lacking one when the cluster is UPDATE_IN_PROGRESS", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(CLUSTER, "UPDATE_IN_PROGRESS", { "us-east-1a": "subnet-a", "us-east-1b": "subnet-b" }, [
        ["hsm-aaaaaaaaaaa", "us-east-1a", "ACTIVE"],
      ]),
    );
    cloudhsmReplies.set(CreateHsmCommand, { Hsm: { HsmId: "hsm-ccccccccccc" } });

    const out = await ensureHsms(deps(), { clusterId: CLUSTER, target: 2, replaced: 0 });

    expect(out).toMatchObject({ ready: false, created: ["hsm-ccccccccccc"] });
  });

  it("returns HsmReplacementBudgetError and deletes nothing when HSMs keep degrading", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(CLUSTER, "DEGRADED", { "us-east-1a": "subnet-a" }, [["hsm-bbbbbbbbbbb", "us-east-1a", "DEGRADED"]]),
    );

    const error = await ensureHsms(deps(), { clusterId: CLUSTER, target: 2, replaced: 3 }).catch((e: unknown) => e);

    expect((error as Error).name).toBe("HsmReplacementBudgetError");
    expect(cloudhsmCalls.map((c) => c.command)).toEqual(["DescribeClustersCommand"]);
  });

  it.each([
    ["CloudHsmClusterInUseException", "ClusterInUseError"],
    ["IncorrectTrustAnchorException", "KeyStoreCreationRefusedError"],
    ["CloudHsmClusterInvalidConfigurationException", "KeyStoreCreationRefusedError"],
  ])("returns %s from CreateCustomKeyStore as %s with no password in the message", async (code, name) => {
    const secrets = memorySecrets({
      [`keystore-autopilot/trust-anchor/${CLUSTER}`]: "-----BEGIN CERTIFICATE-----",
      [`keystore-autopilot/initial-kmsuser/${CLUSTER}`]: JSON.stringify({ password: "KmsuserSecret123" }),
    });
    kms.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    kms.on(CreateCustomKeyStoreCommand).rejects(Object.assign(new Error("refused"), { name: code }));

    const error = (await createKeyStore(deps(secrets), { keyStoreName: "payments", clusterId: CLUSTER }).catch(
      (e: unknown) => e,
    )) as Error;

    expect(error.name).toBe(name);
    expect(error.message).not.toContain("KmsuserSecret123");
    expect(kms.commandCalls(CreateCustomKeyStoreCommand)[0]?.args[0].input).toMatchObject({
      CustomKeyStoreName: "payments",
      CloudHsmClusterId: CLUSTER,
    });
  });

  it("returns the existing store and creates none when a store of that name is on the same cluster", async () => {
    const secrets = memorySecrets({
      [`keystore-autopilot/admin/${CLUSTER}`]: JSON.stringify({ username: "admin", password: "Adm1n" }),
    });
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: "cks-1", CustomKeyStoreName: "payments", CloudHsmClusterId: CLUSTER }],
    });

    const out = await createKeyStore(deps(secrets), {
      keyStoreName: "payments",
      clusterId: CLUSTER,
      caMode: "managed",
    });

    expect(out).toMatchObject({
      customKeyStoreId: "cks-1",
      created: false,
      adminSecretId: `keystore-autopilot/admin/${CLUSTER}`,
    });
    expect(out.secrets).toMatchObject({
      ca: `keystore-autopilot/managed-ca/${CLUSTER}`,
      kmsuser: "keystore-autopilot/kmsuser/cks-1",
    });
    expect(kms.commandCalls(CreateCustomKeyStoreCommand)).toHaveLength(0);
  });
});

describe("provision-key-store execution names", () => {
  beforeEach(() => sfn.reset());
  const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-provisionKeyStore";
  const client = new SFNClient({ region: "us-east-1" });

  it("returns <name>-r1 when the key store was never provisioned", async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    expect(await provisionExecutionName(client, MACHINE, { keyStoreName: "pay.ments" })).toBe("pay.ments-r1");
  });

  it("returns the next attempt when earlier ones ended, and the running one while it runs", async () => {
    const execution = (name: string, status: ExecutionStatus) => ({
      name,
      status,
      executionArn: `x:${name}`,
      stateMachineArn: MACHINE,
      startDate: new Date(),
    });
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        execution("payments-r1", "FAILED"),
        execution("payments-r2", "ABORTED"),
        execution("paymentsXr9", "FAILED"),
      ],
    });
    expect(await provisionExecutionName(client, MACHINE, { keyStoreName: "payments" })).toBe("payments-r3");

    sfn.on(ListExecutionsCommand).resolves({
      executions: [execution("payments-r1", "FAILED"), execution("payments-r2", "RUNNING")],
    });
    expect(await provisionExecutionName(client, MACHINE, { keyStoreName: "payments" })).toBe("payments-r2");
  });
});
