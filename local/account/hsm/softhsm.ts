import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import * as graphene from "graphene-pk11";

type Secrets = { soPin: string; userPin: string; backupKey: string };

/**
 * SoftHSM2 finds its configuration through SOFTHSM2_CONF, read when the library initialises. The file lives in the
 * data directory, 0600. In a plain Node process (npm start, one account) setting process.env reaches native code.
 * Under jest, process.env is a copy native code never sees, and process.loadEnvFile only sets a variable that is not
 * set yet: the first account in the process fixes the path, and a later one in another data directory writes its
 * configuration there (a later test file's copy of process.env shows the native value).
 */
let openIn: string | undefined;

function pointSoftHsmConfAt(dir: string, config: string): void {
  const conf = join(dir, "softhsm2.conf");
  const current = process.env.SOFTHSM2_CONF;
  if (current && current !== conf && current.endsWith(join("softhsm", "softhsm2.conf"))) {
    const parent = dirname(current);
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    const stat = lstatSync(parent);
    if (!stat.isDirectory() || stat.uid !== process.getuid?.()) {
      throw new Error(`${parent} is not a directory of this user: refusing to write the SoftHSM2 configuration there`);
    }
    writePrivate(current, config);
    return;
  }
  process.env.SOFTHSM2_CONF = conf;
  const envFile = join(dir, "softhsm2.env");
  writePrivate(envFile, `SOFTHSM2_CONF=${conf}\n`);
  process.loadEnvFile(envFile);
}

/** Writes `text` to `file`, 0600, refusing to follow a symbolic link planted at that name. */
function writePrivate(file: string, text: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export type TokenKey = { label: string; id: string };

const GCM_TAG_BITS = 128;

/** What every backing key is, made in the token or restored from a backup. */
function backingKeyTemplate(key: TokenKey): graphene.ITemplate {
  return {
    class: graphene.ObjectClass.SECRET_KEY,
    keyType: graphene.KeyType.AES,
    token: true,
    private: true,
    label: key.label,
    id: Buffer.from(key.id, "utf8"),
    encrypt: true,
    decrypt: true,
    sensitive: true,
    // Extractable only so backups can wrap it under the backup key; its value can never be read (sensitive).
    extractable: true,
  };
}

/**
 * The cluster key material: one SoftHSM2 token per cluster, reached over PKCS#11.
 * Backing keys are AES-256 token objects, sensitive (their value can never be read) and usable only for
 * encrypt/decrypt inside the token, or for wrapping under the account's backup key (as CloudHSM backups do).
 */
export class SoftHsm {
  private module?: graphene.Module;
  private readonly sessions = new Map<string, graphene.Session>();
  /**
   * Object handles by backing key id, per session: a PKCS#11 find walks every object in the token, so each crypto
   * call would cost O(keys). Handles stay valid while the session is open, and only this class destroys objects.
   */
  private readonly handles = new WeakMap<graphene.Session, Map<string, graphene.SecretKey>>();
  private readonly labels = new Map<string, Map<string, string>>();
  private readonly secrets: Secrets;
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly libraryPath: string,
  ) {
    this.dir = join(dataDir, "softhsm");
    mkdirSync(join(this.dir, "tokens"), { recursive: true });
    const secretsFile = join(this.dir, "pins.json");
    if (!existsSync(secretsFile)) {
      const fresh: Secrets = {
        soPin: randomBytes(16).toString("hex"),
        userPin: randomBytes(16).toString("hex"),
        backupKey: randomBytes(32).toString("hex"),
      };
      writeFileSync(secretsFile, JSON.stringify(fresh), { mode: 0o600 });
    }
    chmodSync(secretsFile, 0o600);
    this.secrets = JSON.parse(readFileSync(secretsFile, "utf8")) as Secrets;
    writePrivate(
      join(this.dir, "softhsm2.conf"),
      `directories.tokendir = ${join(this.dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
    );
  }

  open(): void {
    if (!existsSync(this.libraryPath)) {
      throw new Error(
        `SoftHSM2 not found at ${this.libraryPath}. Install it with: apt-get install -y softhsm2 (or set SOFTHSM2_LIBRARY)`,
      );
    }
    if (openIn && openIn !== this.dir) {
      throw new Error(`SoftHSM2 is already open in this process for ${openIn}; one local account per process`);
    }
    pointSoftHsmConfAt(this.dir, readFileSync(join(this.dir, "softhsm2.conf"), "utf8"));
    this.module = graphene.Module.load(this.libraryPath, "SoftHSM2");
    this.module.initialize();
    openIn = this.dir;
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    this.labels.clear();
    this.module?.finalize();
    this.module = undefined;
    openIn = undefined;
  }

  /** Creates the token for a cluster if it does not exist yet (idempotent). */
  ensureToken(token: string): void {
    if (this.findSlot(token)) return;
    const slots = this.mod().getSlots(true);
    let free: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots.items(i);
      if (!slot.getToken().flags || !(slot.getToken().flags & graphene.TokenFlag.TOKEN_INITIALIZED)) free = slot;
    }
    if (!free) throw new Error("SoftHSM2 has no free slot");
    // graphene's Slot.initToken mis-reads the return value of C_InitToken; call the binding directly.
    (free as unknown as { lib: graphene.Module["lib"] }).lib.C_InitToken(free.handle, this.secrets.soPin, token);
    const slot = this.findSlot(token);
    if (!slot) throw new Error(`SoftHSM2 token ${token} did not appear after initialisation`);
    const so = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    so.login(this.secrets.soPin, graphene.UserType.SO);
    so.initPin(this.secrets.userPin);
    so.logout();
    so.close();
    const session = this.session(token);
    session.create({
      class: graphene.ObjectClass.SECRET_KEY,
      keyType: graphene.KeyType.AES,
      token: true,
      private: true,
      label: "local-account-backup-key",
      id: Buffer.from("backup"),
      value: Buffer.from(this.secrets.backupKey, "hex"),
      wrap: true,
      unwrap: true,
      encrypt: false,
      decrypt: false,
      sensitive: true,
      extractable: false,
    });
  }

  hasToken(token: string): boolean {
    return this.findSlot(token) !== undefined;
  }

  /** Generates a 256-bit AES backing key inside the token. Idempotent on `id`. */
  generateKey(token: string, key: TokenKey): void {
    const session = this.session(token);
    if (this.find(session, key.id)) return;
    const created = session.generateKey(graphene.KeyGenMechanism.AES, {
      ...backingKeyTemplate(key),
      valueLen: 32,
      wrap: false,
      unwrap: false,
    });
    this.index(session).set(key.id, created.toType<graphene.SecretKey>());
    this.labels.get(token)?.set(key.id, key.label);
  }

  /** The backing keys (id and label) of a token, read once and then kept by this class's own writes. */
  listKeys(token: string): TokenKey[] {
    return [...this.labelsOf(token)].map(([id, label]) => ({ label, id }));
  }

  /**
   * Labels by id per token: reading CKA_LABEL from every object costs a PKCS#11 call per key, and `key list` pages
   * through a full token (16,666 keys for hsm2m.medium) page by page.
   */
  private labelsOf(token: string): Map<string, string> {
    const known = this.labels.get(token);
    if (known) return known;
    const labels = new Map<string, string>();
    for (const [id, obj] of this.index(this.session(token))) if (id !== "backup") labels.set(id, obj.label);
    this.labels.set(token, labels);
    return labels;
  }

  hasKey(token: string, id: string): boolean {
    return this.find(this.session(token), id) !== undefined;
  }

  /** Rewrites a key's label (CKA_LABEL is modifiable, as on CloudHSM): models an operator relabelling material. */
  setLabel(token: string, id: string, label: string): void {
    this.mustFind(this.session(token), id).label = label;
    this.labels.get(token)?.set(id, label);
  }

  /** Destroys the key object; returns false when there was none. */
  deleteKey(token: string, id: string): boolean {
    const session = this.session(token);
    const obj = this.find(session, id);
    if (!obj) return false;
    obj.destroy();
    this.handles.get(session)?.delete(id);
    this.labels.get(token)?.delete(id);
    return true;
  }

  /** Destroys every backing key in the token (the cluster was deleted). */
  wipe(token: string): void {
    for (const key of this.listKeys(token)) this.deleteKey(token, key.id);
  }

  /** AES-256-GCM inside the token. Returns iv (12) | ciphertext | tag (16). */
  encrypt(token: string, id: string, plaintext: Buffer, aad: Buffer): Buffer {
    const session = this.session(token);
    const key = this.mustFind(session, id);
    const iv = randomBytes(12);
    const cipher = session.createCipher(
      { name: "AES_GCM", params: new graphene.AesGcm240Params(iv, aad, GCM_TAG_BITS) },
      key,
    );
    // Single-part C_Encrypt with room for the tag: graphene's multi-part final() buffer is too small for GCM output.
    return Buffer.concat([iv, cipher.once(plaintext, Buffer.alloc(plaintext.length + GCM_TAG_BITS / 8))]);
  }

  /** Throws when the tag does not verify (wrong key, wrong context, tampered ciphertext). */
  decrypt(token: string, id: string, blob: Buffer, aad: Buffer): Buffer {
    const session = this.session(token);
    const key = this.mustFind(session, id);
    const decipher = session.createDecipher(
      { name: "AES_GCM", params: new graphene.AesGcm240Params(blob.subarray(0, 12), aad, GCM_TAG_BITS) },
      key,
    );
    // Single-part C_Decrypt, which always ends the operation: graphene's multi-part final() has a 32-byte buffer, so
    // longer plaintexts failed with CKR_BUFFER_TOO_SMALL and left the session's operation active.
    const body = blob.subarray(12);
    return Buffer.from(decipher.once(body, Buffer.alloc(Math.max(body.length, 1))));
  }

  /** Every backing key wrapped under the backup key (AES key wrap with padding): what a backup holds. */
  exportKeys(token: string): (TokenKey & { wrapped: string })[] {
    const session = this.session(token);
    const backupKey = this.mustFind(session, "backup");
    return this.listKeys(token).map((key) => ({
      ...key,
      wrapped: session
        .wrapKey({ name: "AES_KEY_WRAP_PAD", params: null }, backupKey, this.mustFind(session, key.id))
        .toString("base64"),
    }));
  }

  /** Unwraps backed-up keys into a (restored) cluster's token. Idempotent on id. */
  importKeys(token: string, keys: (TokenKey & { wrapped: string })[]): void {
    const session = this.session(token);
    const backupKey = this.mustFind(session, "backup");
    for (const key of keys) {
      if (this.find(session, key.id)) continue;
      const restored = session.unwrapKey(
        { name: "AES_KEY_WRAP_PAD", params: null },
        backupKey,
        Buffer.from(key.wrapped, "base64"),
        backingKeyTemplate(key),
      );
      this.index(session).set(key.id, restored.toType<graphene.SecretKey>());
      this.labels.get(token)?.set(key.id, key.label);
    }
  }

  private mod(): graphene.Module {
    if (!this.module) throw new Error("SoftHSM2 is not open");
    return this.module;
  }

  private findSlot(token: string): graphene.Slot | undefined {
    const slots = this.mod().getSlots(true);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots.items(i);
      const info = slot.getToken();
      if (info.flags & graphene.TokenFlag.TOKEN_INITIALIZED && info.label === token) return slot;
    }
    return undefined;
  }

  private session(token: string): graphene.Session {
    const open = this.sessions.get(token);
    if (open) return open;
    const slot = this.findSlot(token);
    if (!slot) throw new Error(`No SoftHSM2 token for ${token}`);
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      session.login(this.secrets.userPin, graphene.UserType.USER);
    } catch (error: unknown) {
      // Another session of this application already logged the token in.
      if (!String(error).includes("CKR_USER_ALREADY_LOGGED_IN")) throw error;
    }
    this.sessions.set(token, session);
    return session;
  }

  /**
   * Every secret key of the session's token by id, built with one walk on first use and kept complete by this
   * class's own writes (generate, import, delete): a miss is an answer, not a search, so CreateKey stays O(1) in a
   * token holding tens of thousands of keys.
   */
  private index(session: graphene.Session): Map<string, graphene.SecretKey> {
    const existing = this.handles.get(session);
    if (existing) return existing;
    const index = new Map<string, graphene.SecretKey>();
    const found = session.find({ class: graphene.ObjectClass.SECRET_KEY });
    for (let i = 0; i < found.length; i++) {
      const key = found.items(i).toType<graphene.SecretKey>();
      index.set(key.id.toString("utf8"), key);
    }
    this.handles.set(session, index);
    return index;
  }

  private find(session: graphene.Session, id: string): graphene.SecretKey | undefined {
    return this.index(session).get(id);
  }

  private mustFind(session: graphene.Session, id: string): graphene.SecretKey {
    const key = this.find(session, id);
    if (!key) throw new KeyMaterialNotFoundError(id);
    return key;
  }
}

export class KeyMaterialNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`Key material ${id} is not in the cluster`);
    this.name = "KeyMaterialNotFoundError";
  }
}
