import { readFileSync } from "node:fs";
import { join } from "node:path";
import { matchesEventPattern, validateEventPattern } from "../../../../local/runtime/event-patterns";

const event = JSON.parse(readFileSync(join(__dirname, "../../../events/connect-custom-key-store.json"), "utf8"));
const extra = {
  ...event,
  detail: { ...event.detail, count: 7, ip: "10.0.3.17", tags: ["blue", "green"], nested: [{ k: "a" }, { k: "b" }] },
};

describe("event patterns", () => {
  it.each([
    ["an exact value", { source: ["aws.kms"] }],
    ["one of several values", { source: ["aws.cloudhsm", "aws.kms"] }],
    ["a nested exact value", { detail: { eventName: ["ConnectCustomKeyStore"] } }],
    ["a prefix", { detail: { eventName: [{ prefix: "Connect" }] } }],
    ["a case-insensitive prefix", { detail: { eventName: [{ prefix: { "equals-ignore-case": "connect" } }] } }],
    ["a suffix", { detail: { eventName: [{ suffix: "KeyStore" }] } }],
    ["equals-ignore-case", { detail: { eventName: [{ "equals-ignore-case": "connectcustomkeystore" }] } }],
    ["anything-but a value", { detail: { eventName: [{ "anything-but": "DisconnectCustomKeyStore" }] } }],
    ["anything-but a list", { detail: { eventName: [{ "anything-but": ["A", "B"] }] } }],
    ["anything-but a prefix", { detail: { eventName: [{ "anything-but": { prefix: "Disconnect" } }] } }],
    ["numeric ranges", { detail: { count: [{ numeric: [">", 5, "<=", 7] }] } }],
    ["exists: true", { detail: { requestParameters: { customKeyStoreId: [{ exists: true }] } } }],
    ["exists: false", { detail: { errorCode: [{ exists: false }] } }],
    ["null", { detail: { responseElements: [null] } }],
    ["a cidr block", { detail: { ip: [{ cidr: "10.0.0.0/16" }] } }],
    ["a wildcard", { detail: { eventName: [{ wildcard: "Connect*Store" }] } }],
    ["any element of an array", { detail: { tags: ["green"] } }],
    ["any object of an array", { detail: { nested: { k: ["b"] } } }],
    ["$or", { detail: { $or: [{ eventName: ["Nope"] }, { count: [{ numeric: ["=", 7] }] }] } }],
  ])("returns true when the pattern uses %s that the event satisfies", (_what, pattern) => {
    validateEventPattern(pattern);

    expect(matchesEventPattern(pattern, extra)).toBe(true);
  });

  it.each([
    ["another value", { source: ["aws.cloudhsm"] }],
    ["a missing field", { detail: { errorCode: ["AccessDenied"] } }],
    ["anything-but on a missing field", { detail: { errorCode: [{ "anything-but": "x" }] } }],
    ["anything-but the value", { detail: { eventName: [{ "anything-but": "ConnectCustomKeyStore" }] } }],
    ["a numeric bound", { detail: { count: [{ numeric: [">", 7] }] } }],
    ["numeric on a string", { detail: { eventName: [{ numeric: [">", 0] }] } }],
    ["exists: true on a missing field", { detail: { errorCode: [{ exists: true }] } }],
    ["exists: false on a present field", { detail: { eventName: [{ exists: false }] } }],
    ["a cidr block elsewhere", { detail: { ip: [{ cidr: "10.1.0.0/16" }] } }],
    ["a case-sensitive value", { detail: { eventName: ["connectcustomkeystore"] } }],
    ["a string for a number", { detail: { count: ["7"] } }],
  ])("returns false when the pattern asks for %s", (_what, pattern) => {
    expect(matchesEventPattern(pattern, extra)).toBe(false);
  });

  it.each([
    ["a leaf that is not an array", { source: "aws.kms" }, /source must be an array/],
    ["an empty array", { source: [] }, /must not be an empty array/],
    ["an unknown matcher", { source: [{ startsWith: "aws" }] }, /unrecognized match type startsWith/],
    ["a bad numeric operator", { detail: { n: [{ numeric: ["!=", 1] }] } }, /invalid numeric comparison/],
    ["a non-boolean exists", { detail: { n: [{ exists: "yes" }] } }, /exists match pattern must be boolean/],
  ])("returns InvalidEventPatternException naming the field when the pattern has %s", (_what, pattern, message) => {
    expect(() => validateEventPattern(pattern)).toThrow(message);
  });
});
