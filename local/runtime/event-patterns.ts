/**
 * EventBridge event patterns with the real semantics: exact values, prefix/suffix (also equals-ignore-case),
 * equals-ignore-case, anything-but (values, prefix, suffix, equals-ignore-case, wildcard), numeric ranges, exists,
 * cidr, wildcard and $or; array values in events match when any element matches.
 *
 * Written here because the npm registry has no maintained matcher: the candidates are unpublished, ports without
 * upkeep, or embedded in serverless-offline plugins that need serverless-offline itself. The unit tests pin the
 * semantics to the examples of the EventBridge user guide.
 */

export type EventPattern = { [key: string]: unknown };

export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidEventPatternException";
  }
}

const MATCHER_KEYS = new Set([
  "prefix",
  "suffix",
  "equals-ignore-case",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
  "wildcard",
]);
const NUMERIC_OPS = new Set(["=", "<", "<=", ">", ">="]);

/** Throws InvalidEventPatternException naming the offending field when the pattern is not one EventBridge accepts. */
export function validateEventPattern(pattern: unknown, path = ""): asserts pattern is EventPattern {
  if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) {
    throw new InvalidEventPatternError(`Event pattern${path ? ` at ${path}` : ""} must be a JSON object`);
  }
  const entries = Object.entries(pattern);
  if (path === "" && entries.length === 0) throw new InvalidEventPatternError("Event pattern must not be empty");
  for (const [key, value] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidEventPatternError(`${at} must be an array of at least two patterns`);
      }
      for (const [i, sub] of value.entries()) validateEventPattern(sub, `${at}[${i}]`);
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`${at} must not be an empty array`);
      for (const matcher of value) validateMatcher(matcher, at);
      continue;
    }
    if (value !== null && typeof value === "object") {
      validateEventPattern(value, at);
      continue;
    }
    throw new InvalidEventPatternError(`${at} must be an array of values or matchers, or a nested pattern`);
  }
}

function validateMatcher(matcher: unknown, at: string): void {
  if (matcher === null || typeof matcher !== "object") return;
  if (Array.isArray(matcher)) throw new InvalidEventPatternError(`${at} must not nest arrays`);
  const keys = Object.keys(matcher);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined || !MATCHER_KEYS.has(key)) {
    throw new InvalidEventPatternError(`${at}: unrecognized match type ${keys.join(", ") || "{}"}`);
  }
  const arg = (matcher as Record<string, unknown>)[key];
  switch (key) {
    case "exists":
      if (typeof arg !== "boolean") throw new InvalidEventPatternError(`${at}: exists match pattern must be boolean`);
      return;
    case "numeric": {
      if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
        throw new InvalidEventPatternError(`${at}: numeric match must be [op, number] or [op, number, op, number]`);
      }
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(String(arg[i])) || typeof arg[i + 1] !== "number") {
          throw new InvalidEventPatternError(`${at}: invalid numeric comparison ${JSON.stringify(arg)}`);
        }
      }
      return;
    }
    case "cidr":
      if (typeof arg !== "string" || !parseCidr(arg)) throw new InvalidEventPatternError(`${at}: invalid cidr ${arg}`);
      return;
    case "anything-but":
      if (arg !== null && typeof arg === "object" && !Array.isArray(arg)) validateMatcher(arg, at);
      return;
    default:
      if (typeof arg !== "string" && !(arg !== null && typeof arg === "object" && "equals-ignore-case" in arg)) {
        throw new InvalidEventPatternError(`${at}: ${key} match pattern must be a string`);
      }
  }
}

/** True when `event` matches `pattern` (both already parsed). */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: EventPattern, value: unknown): boolean {
  // EventBridge flattens arrays of objects: a nested pattern matches when any element matches.
  if (Array.isArray(value)) return value.some((item) => matchObject(pattern, item));
  const obj = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!(expected as EventPattern[]).some((sub) => matchObject(sub, value))) return false;
      continue;
    }
    const actual = obj?.[key];
    if (Array.isArray(expected)) {
      if (!matchLeaf(expected, actual, obj !== undefined && key in obj)) return false;
    } else if (!matchObject(expected as EventPattern, actual)) {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: unknown[], actual: unknown, present: boolean): boolean {
  const values = Array.isArray(actual) ? actual : present ? [actual] : [];
  return matchers.some((matcher) => {
    if (isMatcher(matcher) && "exists" in matcher) return matcher.exists === values.length > 0;
    if (isMatcher(matcher) && "anything-but" in matcher) {
      return values.some((v) => !matchesAny(matcher["anything-but"], v));
    }
    return values.some((v) => matchValue(matcher, v));
  });
}

function isMatcher(m: unknown): m is Record<string, unknown> {
  return m !== null && typeof m === "object" && !Array.isArray(m);
}

/** anything-but's argument: one value, a list of values, or one matcher (prefix, suffix, wildcard...). */
function matchesAny(arg: unknown, v: unknown): boolean {
  if (Array.isArray(arg)) return arg.some((a) => matchValue(a, v));
  if (isMatcher(arg)) {
    const [key, inner] = Object.entries(arg)[0] ?? [];
    if (Array.isArray(inner)) return inner.some((i) => matchValue({ [key as string]: i }, v));
  }
  return matchValue(arg, v);
}

function matchValue(matcher: unknown, v: unknown): boolean {
  if (!isMatcher(matcher)) {
    if (typeof matcher === "number" && typeof v === "number") return matcher === v;
    return matcher === v;
  }
  const [key, arg] = Object.entries(matcher)[0] ?? [];
  switch (key) {
    case "prefix":
      return typeof v === "string" && affix(arg, v, (s, a) => s.startsWith(a));
    case "suffix":
      return typeof v === "string" && affix(arg, v, (s, a) => s.endsWith(a));
    case "equals-ignore-case":
      return typeof v === "string" && typeof arg === "string" && v.toLowerCase() === arg.toLowerCase();
    case "wildcard":
      return typeof v === "string" && typeof arg === "string" && wildcard(arg).test(v);
    case "numeric":
      return typeof v === "number" && numeric(arg as (string | number)[], v);
    case "cidr":
      return typeof v === "string" && inCidr(String(arg), v);
    case "anything-but":
      return !matchesAny(arg, v);
    default:
      return false;
  }
}

function affix(arg: unknown, v: string, test: (s: string, a: string) => boolean): boolean {
  if (typeof arg === "string") return test(v, arg);
  const ignoreCase = isMatcher(arg) ? arg["equals-ignore-case"] : undefined;
  return typeof ignoreCase === "string" && test(v.toLowerCase(), ignoreCase.toLowerCase());
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`, "s");
}

function numeric(spec: (string | number)[], v: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const n = spec[i + 1] as number;
    const ok =
      spec[i] === "="
        ? v === n
        : spec[i] === "<"
          ? v < n
          : spec[i] === "<="
            ? v <= n
            : spec[i] === ">"
              ? v > n
              : v >= n;
    if (!ok) return false;
  }
  return true;
}

function parseIpv4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [ip = "", bitsText = "32"] = cidr.split("/");
  const base = parseIpv4(ip);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base, bits };
}

function inCidr(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr);
  const addr = parseIpv4(ip);
  if (!range || addr === undefined) return false;
  const size = 2 ** (32 - range.bits);
  return Math.floor(addr / size) === Math.floor(range.base / size);
}
