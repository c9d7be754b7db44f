/**
 * Defensive redaction of anything the CLI prints from an execution or an invocation. Our workflows carry secrets only
 * by reference (Secrets Manager ARN or name), but a field named like a password or a private key is never shown.
 */
const SECRET_FIELD = /password|privatekey|private_key/i;
export const REDACTED = "[redacted]";

/** A deep copy of `value` with every field whose name looks secret replaced by `[redacted]`. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_FIELD.test(key) ? REDACTED : redact(inner)]),
  );
}

const SECRET_JSON_FIELD = /("[^"]*(?:password|privatekey|private_key)[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)/gi;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** Redacts a text that may be JSON (an output, a Cause) or free text quoting JSON or a PEM private key. */
export function redactText(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") return JSON.stringify(redact(parsed));
  } catch {
    // Not JSON: fall through to the textual patterns.
  }
  return text.replace(SECRET_JSON_FIELD, `$1"${REDACTED}"`).replace(PEM_PRIVATE_KEY, REDACTED);
}
