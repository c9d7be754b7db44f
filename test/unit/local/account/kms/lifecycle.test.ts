import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccountContext } from "../../../../../local/account/account";
import { LocalAccountConfigSchema } from "../../../../../local/account/config";
import { SoftHsm } from "../../../../../local/account/hsm/softhsm";
import { recover } from "../../../../../local/account/kms/lifecycle";
import { Store } from "../../../../../local/account/store";

const ARN = "arn:aws:kms:us-east-1:111122223333:key/";
const TOKEN = "cluster-recoverytest1";

describe("KMS recovery after a crash", () => {
  let dir: string;
  let store: Store;
  let hsm: SoftHsm;
  let ctx: AccountContext;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kms-recovery-"));
    const config = LocalAccountConfigSchema.parse({ dataDir: dir });
    store = new Store(join(dir, "state.sqlite"));
    hsm = new SoftHsm(dir, config.softhsmLibrary);
    hsm.open();
    hsm.ensureToken(TOKEN);
    // recover() reads the store, the token and the account identity only.
    ctx = { config, store, hsm } as unknown as AccountContext;
  });
  afterAll(() => {
    hsm.close();
    store.close();
  });

  it("returns only the half-created key's material removed when objects of live, deleted and foreign keys share the token", () => {
    const live = "11111111-1111-4111-8111-111111111111";
    const deleted = "22222222-2222-4222-8222-222222222222";
    const halfCreated = "33333333-3333-4333-8333-333333333333";
    store.tx(() => {
      store.put("cluster", TOKEN, { ClusterId: TOKEN, tokenLabel: TOKEN, State: "ACTIVE", Hsms: [], users: [] });
      store.put("key", live, { KeyId: live, Arn: `${ARN}${live}`, backingKeyId: "live" });
      store.put("deletedkey", deleted, { KeyId: deleted, Arn: `${ARN}${deleted}`, backingKeyId: "orphan" });
    });
    hsm.generateKey(TOKEN, { label: `${ARN}${live}`, id: "live" });
    hsm.generateKey(TOKEN, { label: `${ARN}${deleted}`, id: "orphan" });
    hsm.generateKey(TOKEN, { label: `${ARN}${halfCreated}`, id: "half" });
    hsm.generateKey(TOKEN, { label: "application-key", id: "app" });
    hsm.generateKey(TOKEN, { label: `arn:aws:kms:us-east-1:444455556666:key/${halfCreated}`, id: "foreign" });

    store.tx(() => recover(ctx));

    expect(
      hsm
        .listKeys(TOKEN)
        .map((k) => k.id)
        .sort(),
    ).toEqual(["app", "foreign", "live", "orphan"]);
  });
});
