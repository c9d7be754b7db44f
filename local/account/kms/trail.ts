const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * KMS writes some dates into CloudTrail records as human-formatted strings, e.g. `Nov 2, 2021, 11:25:25 PM`
 * (DOMAIN.md §5.1). Formatted by hand in UTC: Intl output varies between ICU versions (narrow spaces before PM).
 */
export function humanDate(ms: number): string {
  const d = new Date(ms);
  const hours = d.getUTCHours();
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${hours < 12 ? "AM" : "PM"}`;
}

/** CloudTrail spells request and response members lowerCamel: `AWSAccountId` becomes `aWSAccountId`. */
export function lowerCamel(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v !== undefined) out[k.charAt(0).toLowerCase() + k.slice(1)] = v;
  }
  return out;
}

/** Drops undefined members so records only carry what the caller sent. */
export function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
