import { X509Certificate } from "node:crypto";
import { issueCertificate, selfSignedTrustAnchor } from "../../../../../local/account/kms/certificates";
import { normalisePem } from "../../../../../local/account/kms/clusters";
import { page } from "../../../../../local/account/kms/paging";
import { humanDate, lowerCamel } from "../../../../../local/account/kms/trail";

describe("humanDate", () => {
  it("returns KMS's CloudTrail date format when given an afternoon and a morning time", () => {
    expect(humanDate(Date.UTC(2021, 10, 2, 23, 25, 25))).toBe("Nov 2, 2021, 11:25:25 PM");
    expect(humanDate(Date.UTC(2021, 3, 12, 0, 5, 9))).toBe("Apr 12, 2021, 12:05:09 AM");
    expect(humanDate(Date.UTC(2021, 3, 12, 12, 0, 0))).toBe("Apr 12, 2021, 12:00:00 PM");
  });
});

describe("lowerCamel", () => {
  it("returns CloudTrail member names without undefined members when given API member names", () => {
    expect(lowerCamel({ AWSAccountId: "1", KeyId: "k", Description: undefined })).toEqual({
      aWSAccountId: "1",
      keyId: "k",
    });
  });
});

describe("page", () => {
  const items = [5, 1, 4, 2, 3].map((n) => ({ at: n, id: `i${n}` }));
  const position = (i: { at: number; id: string }): [number, string] => [i.at, i.id];

  it("returns every item once in creation order when followed marker by marker", () => {
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const p = page(items, position, 2, marker);
      seen.push(...p.items.map((i) => i.id));
      marker = p.nextMarker;
    } while (marker);
    expect(seen).toEqual(["i1", "i2", "i3", "i4", "i5"]);
  });

  it("returns the items after the marker's position when the marked item was deleted", () => {
    const first = page(items, position, 2);
    const remaining = items.filter((i) => i.id !== "i2");
    expect(page(remaining, position, 10, first.nextMarker).items.map((i) => i.id)).toEqual(["i3", "i4", "i5"]);
  });

  it("throws InvalidMarkerException when the marker was not issued here", () => {
    expect(() => page(items, position, 2, "garbage")).toThrow(
      expect.objectContaining({ code: "InvalidMarkerException" }),
    );
  });
});

describe("certificates", () => {
  it("returns a CA trust anchor and a cluster certificate it signed when both are issued", () => {
    const anchor = selfSignedTrustAnchor("Test root", new Date());
    const leaf = issueCertificate(anchor, "cluster-abcdefghijk", new Date());

    const root = new X509Certificate(anchor.pem);
    const cert = new X509Certificate(leaf.pem);

    expect(root.ca).toBe(true);
    expect(root.verify(anchor.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.verify(anchor.publicKey)).toBe(true);
    expect(cert.subject).toContain("CN=cluster-abcdefghijk");
  });

  it("returns equal normalised PEMs when only line endings and wrapping differ", () => {
    const pem = selfSignedTrustAnchor("Test root", new Date()).pem;
    expect(normalisePem(pem.replace(/\n/g, "\r\n"))).toBe(normalisePem(pem));
    expect(normalisePem(selfSignedTrustAnchor("Other", new Date()).pem)).not.toBe(normalisePem(pem));
  });
});
