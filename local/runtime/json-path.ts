/**
 * ASL reference paths and EventBridge input paths: `$`, `$.a.b`, `$['a-b']`, `$.list[0]`. Enough for Wait's
 * SecondsPath/TimestampPath, Task timeouts' …Path fields and EventBridge `InputPath`/`InputPathsMap`; the library
 * evaluates the full JSONPath of Parameters and friends itself.
 */
export function readPath(doc: unknown, path: string): { found: boolean; value?: unknown } {
  if (!path.startsWith("$")) return { found: false };
  const tokens = [...path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/g)];
  const consumed = tokens.map((t) => t[0]).join("");
  if (consumed !== path.slice(1)) return { found: false };
  let value: unknown = doc;
  for (const token of tokens) {
    const key = token[1] ?? token[3];
    if (key !== undefined) {
      if (value === null || typeof value !== "object" || Array.isArray(value) || !(key in value))
        return { found: false };
      value = (value as Record<string, unknown>)[key];
    } else {
      const index = Number(token[2]);
      if (!Array.isArray(value) || index >= value.length) return { found: false };
      value = value[index];
    }
  }
  return { found: true, value };
}
