import { invalidMarker } from "./exceptions";

export type Page<T> = { items: T[]; nextMarker?: string };

/**
 * Limit/Marker paging as KMS does it. Items are ordered by (creation time, id) and the marker names the last item
 * returned, so a page boundary survives items being created or deleted between calls.
 */
export function page<T>(all: T[], position: (item: T) => [number, string], limit = 100, marker?: string): Page<T> {
  const sorted = [...all].sort((a, b) => compare(position(a), position(b)));
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker);
    start = sorted.findIndex((item) => compare(position(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items.at(-1);
  const truncated = start + limit < sorted.length && last !== undefined;
  return truncated ? { items, nextMarker: encodeMarker(position(last)) } : { items };
}

function compare(a: [number, string], b: [number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function encodeMarker(at: [number, string]): string {
  return Buffer.from(JSON.stringify(at), "utf8").toString("base64url");
}

function decodeMarker(marker: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(marker, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // fall through: any marker this service did not issue is invalid
  }
  throw invalidMarker();
}
