import { createHash } from "node:crypto";

/** A ClientRequestToken (UUID form, 36 characters) derived from a name, so a retried step reuses it. */
export function tokenFor(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
