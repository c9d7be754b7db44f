import {
  CancelKeyDeletionCommand,
  CreateCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import type { KeyAnswer, KeyStore, KeyStores, NewKeyStore } from "../ports/key-stores";
import type { KmsPort } from "./clients/types";
import { pages } from "./pages";

/** Key stores and keys through the KMS API. */
export class KmsKeyStores implements KeyStores {
  constructor(private readonly kms: KmsPort) {}

  async list(): Promise<KeyStore[]> {
    const stores: KeyStore[] = [];
    const listed = markerPages((marker) =>
      this.kms.send(new DescribeCustomKeyStoresCommand({ ...(marker ? { Marker: marker } : {}) })),
    );
    for await (const page of listed) {
      for (const entry of page.CustomKeyStores ?? []) {
        const store = keyStore(entry);
        if (store) stores.push(store);
      }
    }
    return stores;
  }

  async get(customKeyStoreId: string): Promise<KeyStore | undefined> {
    const out = await this.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: customKeyStoreId }));
    const entry = out.CustomKeyStores?.find((s) => s.CustomKeyStoreId === customKeyStoreId);
    return entry && keyStore(entry);
  }

  async create(store: NewKeyStore): Promise<string> {
    const out = await this.kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: store.name,
        CloudHsmClusterId: store.clusterId,
        KeyStorePassword: store.kmsuserPassword,
        TrustAnchorCertificate: store.trustAnchorCertificate,
      }),
    );
    if (!out.CustomKeyStoreId) throw new Error("CreateCustomKeyStore returned no CustomKeyStoreId");
    return out.CustomKeyStoreId;
  }

  async setKmsuserPassword(customKeyStoreId: string, password: string): Promise<void> {
    await this.kms.send(
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: customKeyStoreId, KeyStorePassword: password }),
    );
  }

  async describeKey(keyArn: string): Promise<KeyAnswer> {
    try {
      const out = await this.kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
      const m = out?.KeyMetadata;
      if (!m) throw new Error(`DescribeKey returned no KeyMetadata for ${keyArn}`);
      return {
        gone: false,
        key: {
          keyArn: m.Arn ?? keyArn,
          ...(m.KeyState ? { keyState: m.KeyState } : {}),
          ...(m.Origin ? { origin: m.Origin } : {}),
          ...(m.CustomKeyStoreId ? { customKeyStoreId: m.CustomKeyStoreId } : {}),
          ...(m.CloudHsmClusterId ? { clusterId: m.CloudHsmClusterId } : {}),
          ...(m.CreationDate ? { creationDate: m.CreationDate } : {}),
          ...(m.DeletionDate ? { deletionDate: m.DeletionDate } : {}),
        },
      };
    } catch (error: unknown) {
      if ((error as Error)?.name === "NotFoundException") return { gone: true };
      throw error;
    }
  }

  async cancelKeyDeletion(keyArn: string): Promise<"cancelled" | "not-pending" | "gone"> {
    try {
      await this.kms.send(new CancelKeyDeletionCommand({ KeyId: keyArn }));
      return "cancelled";
    } catch (error: unknown) {
      const name = (error as Error)?.name;
      // "<key ARN> is not pending deletion (or pending replica deletion)." (KMS Developer Guide, key-state, [4]).
      if (name === "KMSInvalidStateException" && /is not pending deletion/.test((error as Error).message)) {
        return "not-pending";
      }
      if (name === "NotFoundException") return "gone";
      throw error;
    }
  }

  async keyTags(keyArn: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    try {
      const listed = markerPages((marker) =>
        this.kms.send(new ListResourceTagsCommand({ KeyId: keyArn, ...(marker ? { Marker: marker } : {}) })),
      );
      for await (const page of listed) {
        for (const t of page.Tags ?? []) if (t.TagKey) tags[t.TagKey] = t.TagValue ?? "";
      }
    } catch (error: unknown) {
      if ((error as Error)?.name !== "NotFoundException") throw error;
    }
    return tags;
  }

  async disableKey(keyArn: string): Promise<void> {
    await this.kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  }

  async scheduleKeyDeletion(keyArn: string, pendingWindowInDays: number): Promise<{ deletionDate: Date }> {
    try {
      const out = await this.kms.send(
        new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: pendingWindowInDays }),
      );
      if (out.DeletionDate) return { deletionDate: out.DeletionDate };
    } catch (error: unknown) {
      const e = error as Error;
      // "<key ARN> is pending deletion (or pending replica deletion)." (key-state [3]): scheduled already.
      if (!(e?.name === "KMSInvalidStateException" && /is pending deletion/.test(e.message))) throw error;
    }
    const found = await this.describeKey(keyArn);
    if (found.gone || !found.key.deletionDate) {
      throw new Error(`ScheduleKeyDeletion on ${keyArn} gave no deletion date, and DescribeKey shows none`);
    }
    return { deletionDate: found.key.deletionDate };
  }

  async keyArnPage(marker?: string): Promise<{ keyArns: string[]; nextMarker?: string }> {
    const out = await this.kms.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }));
    const keyArns = (out.Keys ?? []).flatMap((k) => (k.KeyArn ? [k.KeyArn] : []));
    return { keyArns, ...(out.Truncated && out.NextMarker ? { nextMarker: out.NextMarker } : {}) };
  }
}

/** An entry without an id is no store the workflows can name. */
function keyStore(entry: CustomKeyStoresListEntry): KeyStore | undefined {
  if (!entry.CustomKeyStoreId) return undefined;
  return {
    customKeyStoreId: entry.CustomKeyStoreId,
    name: entry.CustomKeyStoreName ?? "",
    type: entry.CustomKeyStoreType ?? "AWS_CLOUDHSM",
    ...(entry.CloudHsmClusterId ? { clusterId: entry.CloudHsmClusterId } : {}),
    connectionState: entry.ConnectionState ?? "DISCONNECTED",
    ...(entry.ConnectionErrorCode ? { connectionErrorCode: entry.ConnectionErrorCode } : {}),
  };
}

/** KMS's listings: a page is followed by another while `Truncated`, from its `NextMarker`. */
const markerPages = <P extends { Truncated?: boolean; NextMarker?: string }>(
  fetch: (marker: string | undefined) => Promise<P>,
) => pages(fetch, (page) => (page.Truncated ? page.NextMarker : undefined));
