import * as connect from "../../../../src/workflows/connect-key-store/errors";
import * as followUp from "../../../../src/workflows/deletion-follow-up/errors";
import * as describe_ from "../../../../src/workflows/describe-key-store/errors";
import * as cleanup from "../../../../src/workflows/orphan-cleanup/errors";
import * as provision from "../../../../src/workflows/provision-key-store/errors";

/** Each workflow's errors module: its base class first by name, then the errors its ASL matches. */
const modules: [workflow: string, exports: Record<string, unknown>, base: string][] = [
  ["connect-key-store", connect, "ConnectKeyStoreError"],
  ["deletion-follow-up", followUp, "DeletionFollowUpError"],
  ["describe-key-store", describe_, "DescribeKeyStoreError"],
  ["orphan-cleanup", cleanup, "OrphanCleanupError"],
  ["provision-key-store", provision, "ProvisionKeyStoreError"],
];

describe("workflow errors", () => {
  it.each(modules)("%s: every error it exports extends the workflow's one base class", (_workflow, exports, base) => {
    const Base = exports[base] as new (...args: unknown[]) => Error;
    expect(typeof Base).toBe("function");
    const classes = Object.entries(exports).filter(([name]) => name !== base);
    expect(classes.length).toBeGreaterThan(0);
    const strays = classes
      .filter(([, value]) => !(typeof value === "function" && value.prototype instanceof Base))
      .map(([name]) => name);
    expect(strays).toEqual([]);
  });

  it.each(modules)("%s: the base keeps the cause it is given", (_workflow, exports, base) => {
    const Base = exports[base] as new (message: string, options?: { cause?: unknown }) => Error;
    const cause = new Error("underlying");
    const error = new Base("wrapped", { cause });
    expect(error).toMatchObject({ name: base, message: "wrapped", cause });
  });
});
