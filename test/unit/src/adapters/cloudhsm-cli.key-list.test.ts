import { type CliRun, CloudHsmCli } from "../../../../src/adapters/cloudhsm-cli";
import { cliOk } from "../../../support/fakes";

const kmsuser = { username: "kmsuser", role: "crypto-user" as const, password: "Kmsuser0Password" };
const LABEL = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** One `key list --verbose` entry in the documented shape (CloudHSM User Guide, cloudhsm_cli-key-list.html). */
const entry = (reference: string, owner: string, attributes: Record<string, unknown> = {}) => ({
  "key-reference": reference,
  "key-info": {
    "key-owners": [{ username: owner, "key-coverage": "full" }],
    "shared-users": owner === "kmsuser" ? [] : [{ username: "kmsuser", "key-coverage": "full" }],
    "cluster-coverage": "full",
  },
  attributes: {
    "key-type": "aes",
    label: LABEL,
    id: "0x3132",
    class: "secret-key",
    token: true,
    extractable: false,
    "key-length-bytes": 32,
    ...attributes,
  },
});

describe("key list through the CloudHSM CLI adapter", () => {
  it("returns each key's owners, sharing and attributes so the sweep can tell kmsuser's backing keys from others", async () => {
    const cli = new CloudHsmCli(async () =>
      cliOk({
        matched_keys: [entry("0x01", "kmsuser"), entry("0x02", "alice", { class: "public-key", "key-type": "rsa" })],
        total_key_count: 2,
        returned_key_count: 2,
      }),
    );

    const keys = await cli.listKeys("cluster-abcdefghijk", kmsuser);

    expect(keys).toEqual([
      {
        reference: "0x01",
        label: LABEL,
        id: "0x3132",
        owners: ["kmsuser"],
        sharedWith: [],
        keyClass: "secret-key",
        keyType: "aes",
        token: true,
        extractable: false,
        lengthBytes: 32,
      },
      expect.objectContaining({
        reference: "0x02",
        owners: ["alice"],
        sharedWith: ["kmsuser"],
        keyClass: "public-key",
      }),
    ]);
  });

  it("throws HsmListingInconsistentError when the reported total changes between pages", async () => {
    const pages: CliRun[] = [
      cliOk({ matched_keys: [entry("0x01", "kmsuser")], total_key_count: 2, returned_key_count: 1, next_token: "1" }),
      cliOk({ matched_keys: [entry("0x03", "kmsuser")], total_key_count: 3, returned_key_count: 1, next_token: "2" }),
    ];
    const cli = new CloudHsmCli(async () => pages.shift() as CliRun);

    await expect(cli.listKeys("cluster-abcdefghijk", kmsuser)).rejects.toMatchObject({
      name: "HsmListingInconsistentError",
    });
  });

  it("throws HsmListingInconsistentError when the pages hold fewer keys than the reported total", async () => {
    const cli = new CloudHsmCli(async () =>
      cliOk({ matched_keys: [entry("0x01", "kmsuser")], total_key_count: 2, returned_key_count: 1 }),
    );

    await expect(cli.listKeys("cluster-abcdefghijk", kmsuser)).rejects.toMatchObject({
      name: "HsmListingInconsistentError",
      message: "key list returned 1 keys of the 2 it reported",
    });
  });
});
