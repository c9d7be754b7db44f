import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProgram } from "../../../cli/main";
import { redact, redactText } from "../../../cli/redact";
import { checkExecutionName, defaultExecutionName } from "../../../cli/start";
import {
  findWorkflow,
  inputFields,
  listWorkflows,
  readJsonArgument,
  validateInput,
  workflowWithCommand,
} from "../../../cli/workflows";
import { WORKFLOWS } from "../../../src/workflows";

describe("keystore-autopilot input handling", () => {
  const dir = mkdtempSync(join(tmpdir(), "autopilot-cli-"));

  it("returns every workflow of the registry (src/workflows/index.ts) when listing, in registration order", () => {
    const listed = listWorkflows();

    expect(listed.map((w) => w.name)).toEqual(Object.keys(WORKFLOWS));
    expect(listed.find((w) => w.name === "describe-key-store")?.stateMachine).toBe("describeKeyStore");
  });

  it("returns a CLI command for every command a registry entry names, each owned by one workflow", () => {
    const commands = buildProgram(
      { stdout: { write: () => true }, stderr: { write: () => true } },
      () => {},
    ).commands.map((c) => c.name());
    const named = listWorkflows().flatMap((w) =>
      (w.cli?.commands ?? []).map((command) => ({ command, owner: w.name })),
    );

    expect(named.length).toBeGreaterThan(0);
    for (const { command, owner } of named) {
      expect({ command, present: commands.includes(command) }).toEqual({ command, present: true });
      expect(workflowWithCommand(command).name).toBe(owner);
    }
    expect(new Set(named.map((n) => n.command)).size).toBe(named.length);
  });

  it("returns a usage error listing the known workflows when the workflow is unknown", () => {
    const find = () => findWorkflow("describe-everything");

    expect(find).toThrow(
      `Unknown workflow 'describe-everything'. Known workflows: ${Object.keys(WORKFLOWS).join(", ")}`,
    );
    expect(find).toThrow(expect.objectContaining({ name: "UsageError", exitCode: 2 }));
  });

  it("returns the parsed value when --input is inline JSON, a file or stdin", () => {
    const file = join(dir, "input.json");
    writeFileSync(file, '{"customKeyStoreId":"cks-1234567890abcdef0"}');

    const inline = readJsonArgument("--input", '{"a":1}');
    const fromFile = readJsonArgument("--input", file);
    const fromStdin = readJsonArgument("--input", "-", () => "[1,2]");

    expect(inline).toEqual({ a: 1 });
    expect(fromFile).toEqual({ customKeyStoreId: "cks-1234567890abcdef0" });
    expect(fromStdin).toEqual([1, 2]);
  });

  it("returns a usage error naming the option and the JSON problem when --input is not JSON", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{not json");

    expect(() => readJsonArgument("--input", "{bad")).toThrow(/^--input is not valid JSON: /);
    expect(() => readJsonArgument("--input", file)).toThrow(`--input file ${file} is not valid JSON: `);
    expect(() => readJsonArgument("--event", "missing.json")).toThrow(
      "--event: no such file 'missing.json' (and it is not inline JSON)",
    );
  });

  it("returns a usage error naming the field when the input fails the workflow's schema", () => {
    const workflow = findWorkflow("describe-key-store");

    expect(() => validateInput(workflow, { customKeyStoreId: "store-1" })).toThrow(
      "Input for describe-key-store is invalid: customKeyStoreId: customKeyStoreId must look like cks-1234567890abcdef0",
    );
    expect(() => validateInput(workflow, {})).toThrow(/^Input for describe-key-store is invalid: customKeyStoreId: /);
    expect(validateInput(workflow, { customKeyStoreId: "cks-1234567890abcdef0" })).toEqual({
      customKeyStoreId: "cks-1234567890abcdef0",
    });
  });

  it("returns the input fields of a workflow's schema for the help text", () => {
    expect(inputFields(findWorkflow("describe-key-store"))).toEqual(["customKeyStoreId"]);
  });

  it("returns a usage error when an execution name breaks Step Functions' rules", () => {
    expect(() => checkExecutionName("has space")).toThrow(`--name 'has space' contains " "`);
    expect(() => checkExecutionName("a/b")).toThrow(`contains "/"`);
    expect(() => checkExecutionName("x".repeat(81))).toThrow("--name must be 1 to 80 characters, got 81");
    expect(checkExecutionName("my-check_1.2")).toBe("my-check_1.2");
  });

  it("returns a readable, valid, unique default name when none is given", () => {
    const at = new Date("2026-01-15T10:00:00.123Z");

    const names = [1, 2, 3].map(() => defaultExecutionName("describe-key-store", at));

    expect(names[0]).toMatch(/^describe-key-store-20260115T100000-[0-9a-f]{4}$/);
    expect(checkExecutionName(names[0] as string)).toBe(names[0]);
    expect(new Set(names).size).toBeGreaterThan(1);
  });

  it("returns values with password and private key fields redacted when printing outputs", () => {
    const output = {
      adminSecretId: "keystore-autopilot/admin/x",
      kmsuserPassword: "Secret1!",
      nested: [{ PrivateKey: "k" }],
    };

    expect(redact(output)).toEqual({
      adminSecretId: "keystore-autopilot/admin/x",
      kmsuserPassword: "[redacted]",
      nested: [{ PrivateKey: "[redacted]" }],
    });
    expect(redactText(JSON.stringify(output))).not.toMatch(/Secret1!|"k"/);
    expect(redactText('failed for {"password": "Hunter2x", "user": "kmsuser"}')).toBe(
      'failed for {"password": "[redacted]", "user": "kmsuser"}',
    );
    expect(redactText("key: -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- end")).toBe(
      "key: [redacted] end",
    );
  });
});
