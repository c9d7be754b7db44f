import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/**
 * The local account's durable state: JSON documents by (kind, id), a meta table and the event log, in one SQLite file.
 * Every request runs in one transaction, so a crash or `kill -9` leaves either all of a change or none of it.
 */
export class Store {
  private readonly db: DatabaseSync;
  private depth = 0;
  private readonly stmts: Record<
    | "get"
    | "put"
    | "del"
    | "list"
    | "listPrefix"
    | "count"
    | "countWhere"
    | "metaGet"
    | "metaPut"
    | "eventPut"
    | "eventsAfter"
    | "lastSeq",
    StatementSync
  >;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    // WAL + NORMAL survives a killed process (not a power cut), which is the failure the local account promises to survive.
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      -- A 64 MiB page cache (default 2 MiB): with tens of thousands of executions the (kind, id) index outgrows the
      -- default, and every insert at a random place in it (history kinds are execution ARNs) would miss the cache.
      PRAGMA cache_size = -65536;
      CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL);
    `);
    this.stmts = {
      get: this.db.prepare("SELECT doc FROM docs WHERE kind = ? AND id = ?"),
      put: this.db.prepare(
        "INSERT INTO docs (kind, id, doc) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
      ),
      del: this.db.prepare("DELETE FROM docs WHERE kind = ? AND id = ?"),
      list: this.db.prepare("SELECT doc FROM docs WHERE kind = ? ORDER BY rowid"),
      // Kinds from `prefix` up to `prefix` + U+FFFF: a range on the (kind, id) index, not a scan of the table.
      listPrefix: this.db.prepare("SELECT doc FROM docs WHERE kind >= ? AND kind < ? ORDER BY rowid"),
      count: this.db.prepare("SELECT COUNT(*) AS n FROM docs WHERE kind = ?"),
      countWhere: this.db.prepare("SELECT COUNT(*) AS n FROM docs WHERE kind = ? AND json_extract(doc, ?) = ?"),
      metaGet: this.db.prepare("SELECT value FROM meta WHERE key = ?"),
      metaPut: this.db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      eventPut: this.db.prepare("INSERT INTO events (doc) VALUES (?)"),
      eventsAfter: this.db.prepare("SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?"),
      lastSeq: this.db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events"),
    };
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). `fn` must be synchronous. */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    this.depth++;
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error: unknown) {
      this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.depth--;
    }
  }

  get<T>(kind: string, id: string): T | undefined {
    const row = this.stmts.get.get(kind, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  put<T>(kind: string, id: string, doc: T): T {
    this.stmts.put.run(kind, id, JSON.stringify(doc));
    return doc;
  }

  delete(kind: string, id: string): void {
    this.stmts.del.run(kind, id);
  }

  list<T>(kind: string): T[] {
    return (this.stmts.list.all(kind) as { doc: string }[]).map((row) => JSON.parse(row.doc) as T);
  }

  /** Documents of every kind that starts with `prefix`, oldest first. */
  listByKindPrefix<T>(prefix: string): T[] {
    return (this.stmts.listPrefix.all(prefix, `${prefix}\uffff`) as { doc: string }[]).map(
      (row) => JSON.parse(row.doc) as T,
    );
  }

  /** How many documents of `kind` there are, optionally only those whose top-level `field` equals `equals`. */
  count(kind: string, where?: { field: string; equals: string }): number {
    if (!where) return Number((this.stmts.count.get(kind) as { n: number }).n);
    if (!/^[A-Za-z0-9_]+$/.test(where.field)) throw new Error(`Not a top-level field name: ${where.field}`);
    return Number((this.stmts.countWhere.get(kind, `$.${where.field}`, where.equals) as { n: number }).n);
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.metaGet.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaPut.run(key, value);
  }

  appendEvent(doc: unknown): number {
    return Number(this.stmts.eventPut.run(JSON.stringify(doc)).lastInsertRowid);
  }

  eventsAfter(seq: number, limit = 1000): { seq: number; event: unknown }[] {
    return (this.stmts.eventsAfter.all(seq, limit) as { seq: number; doc: string }[]).map((row) => ({
      seq: Number(row.seq),
      event: JSON.parse(row.doc),
    }));
  }

  lastEventSeq(): number {
    return Number((this.stmts.lastSeq.get() as { seq: number }).seq);
  }

  close(): void {
    this.db.close();
  }
}
