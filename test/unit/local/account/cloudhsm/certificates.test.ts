import { webcrypto } from "node:crypto";
import { generateClusterCsr, verifyInitialization } from "../../../../../local/account/cloudhsm/certificates";
import { availabilityZoneOfSubnet, subnetIdInZone } from "../../../../../local/account/cloudhsm/network";
import { createIntermediateCa, createTestCa, signClusterCsr, type TestCa, x509 } from "../../../../support/cloudhsm";

describe("subnet Availability Zones", () => {
  it("returns zone a, b or c from the last hex digit of the subnet id modulo 3", () => {
    expect(availabilityZoneOfSubnet("subnet-0123456789abcdef0", "us-east-1")).toBe("us-east-1a");
    expect(availabilityZoneOfSubnet("subnet-0123456789abcdef1", "us-east-1")).toBe("us-east-1b");
    expect(availabilityZoneOfSubnet("subnet-0123456789abcdef5", "eu-west-2")).toBe("eu-west-2c");
    expect(availabilityZoneOfSubnet("subnet-0123456789abcdeff", "us-east-1")).toBe("us-east-1a");
  });

  it("returns subnet ids in the requested zone when subnetIdInZone makes them", () => {
    for (const zone of ["a", "b", "c"] as const) {
      for (let i = 0; i < 20; i++) {
        const subnet = subnetIdInZone(zone);
        expect(subnet).toMatch(/^subnet-[0-9a-f]{17}$/);
        expect(availabilityZoneOfSubnet(subnet, "us-west-2")).toBe(`us-west-2${zone}`);
      }
    }
  });
});

describe("verifyInitialization", () => {
  const csr = generateClusterCsr("cluster-abcdefghijk", "hsm2m.medium");
  const now = Date.now();
  let root: TestCa;
  let signed: string;
  beforeAll(async () => {
    root = await createTestCa();
    signed = await signClusterCsr(csr.csrPem, root);
  });

  const verify = (signedCert: string, trustAnchor: string, at = now) =>
    verifyInitialization({ signedCert, trustAnchor, csrPublicKeyPem: csr.publicKeyPem, now: at });

  it("returns without error when the certificate is signed by a self-signed CA over the CSR's key", async () => {
    const csrObject = new x509.Pkcs10CertificateRequest(csr.csrPem);

    expect(await csrObject.verify()).toBe(true);
    expect(() => verify(signed, root.pem)).not.toThrow();
  });

  it("throws naming the limit when the chain holds more than 4 certificates", async () => {
    let issuer = root;
    const chain = [root];
    for (let i = 0; i < 4; i++) {
      issuer = await createIntermediateCa(issuer, `CN=ICA ${i}`);
      chain.unshift(issuer);
    }
    const leaf = await signClusterCsr(csr.csrPem, issuer);

    expect(() => verify(leaf, chain.map((c) => c.pem).join("\n"))).toThrow(
      "TrustAnchor holds 5 certificates; a chain may have at most 4",
    );
  });

  it("throws when the chain is ordered root first", async () => {
    const ica = await createIntermediateCa(root);
    const leaf = await signClusterCsr(csr.csrPem, ica);

    expect(() => verify(leaf, `${root.pem}\n${ica.pem}`)).toThrow(/not self-signed|not signed by/);
  });

  it("throws naming the algorithm when the CA uses an unsupported key size or hash", async () => {
    const alg = {
      name: "RSASSA-PKCS1-v1_5",
      hash: "SHA-1",
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 1024,
    };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const weak = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=weak root",
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const pem = weak.toString("pem");

    expect(() => verify(signed, pem)).toThrow(/unsupported signature algorithm \(RSASSA-PKCS1-v1_5 with SHA-1\)/);
  });

  it("throws when the certificates are not valid at the simulated time", () => {
    expect(() => verify(signed, root.pem, now + 50 * 365 * 86_400_000)).toThrow(/is not valid now/);
  });

  it("throws when the PEM holds something other than a certificate", () => {
    expect(() => verify(csr.csrPem, root.pem)).toThrow("SignedCert is a PEM CERTIFICATE REQUEST, not a CERTIFICATE");
  });
});
