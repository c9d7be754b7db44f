import { AwsServiceError } from "../errors";

/**
 * CloudWatch Logs filter patterns for unstructured events, as far as the product uses them (CloudWatch Logs User
 * Guide, FilterAndPatternSyntax.html): "" matches every event; `ERROR Exception` events holding both terms; `?ERROR
 * ?Exception` either; `-ERROR` events without it; a "quoted phrase" is one term. Terms are case-sensitive. JSON
 * (`{ ... }`), space-delimited (`[ ... ]`) and regular expression (`%...%`) patterns are refused as unsupported here.
 */
export function compileFilterPattern(pattern: string | undefined): (message: string) => boolean {
  const text = (pattern ?? "").trim();
  if (text === "") return () => true;
  if (/^[{[%]/.test(text)) {
    throw new AwsServiceError(
      "InvalidParameterException",
      'This local account only supports term filter patterns (terms, ?terms, -terms, "phrases")',
    );
  }
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const match of text.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const term = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] as string);
    if (term === "") continue;
    if (match[1] === "?") any.push(term);
    else if (match[1] === "-") none.push(term);
    else all.push(term);
  }
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}
