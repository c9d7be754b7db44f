import { readFileSync } from "node:fs";
import {
  condition,
  DIAGRAMS_FILE,
  generate,
  type Names,
  renderDiagram,
  renderDocument,
} from "../../../scripts/diagrams";

const FN = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-check";
const CHILD = "arn:aws:states:us-east-1:123456789012:stateMachine:svc-dev-child";
const names: Names = { functions: new Map([[FN, "check"]]), stateMachines: new Map([[CHILD, "child"]]) };

describe("Mermaid diagrams from ASL", () => {
  it("returns choice branches labelled with their conditions and a default when the ASL has a Choice", () => {
    const lines = renderDiagram(
      {
        StartAt: "Route",
        States: {
          Route: {
            Type: "Choice",
            Choices: [
              { Variable: "$.state", StringEquals: "CONNECTED", Next: "Done" },
              {
                And: [{ Variable: "$.n", NumericGreaterThanEquals: 3 }, { Not: { Variable: "$.x", IsPresent: true } }],
                Next: "Stop",
              },
            ],
            Default: "Done",
          },
          Done: { Type: "Succeed" },
          Stop: { Type: "Fail", Error: "TooMany" },
        },
      },
      names,
    );

    expect(lines).toEqual([
      "stateDiagram-v2",
      "  state Route <<choice>>",
      "  [*] --> Route",
      "  Route --> Done : $.state = 'CONNECTED'",
      "  Route --> Stop : $.n ≥ 3 and not $.x is present",
      "  Route --> Done : otherwise",
      "  Done --> [*]",
      "  Stop : TooMany",
      "  Stop --> [*]",
      "  classDef failed fill:#fde2e1,stroke:#c0392b,color:#7b241c",
      "  class Stop failed",
    ]);
  });

  it("returns catch edges naming the errors and a retry note when a Task has Retry and Catch", () => {
    const lines = renderDiagram(
      {
        StartAt: "Call",
        States: {
          Call: {
            Type: "Task",
            Resource: FN,
            Retry: [{ ErrorEquals: ["ThrottlingException"], MaxAttempts: 4 }],
            Catch: [
              { ErrorEquals: ["InvalidInputError", "NotFoundError"], Next: "Bad" },
              { ErrorEquals: ["States.ALL"], Next: "Bad" },
            ],
            Next: "Sdk",
          },
          Sdk: { Type: "Task", Resource: "arn:aws:states:::aws-sdk:kms:describeKey", End: true },
          Bad: { Type: "Fail", Error: "Failed" },
        },
      },
      names,
    );

    expect(lines).toEqual(
      expect.arrayContaining([
        "  Call : λ check",
        "  Call : retry ThrottlingException ×4",
        "  Call --> Bad : catch InvalidInputError, NotFoundError",
        "  Call --> Bad : catch States.ALL",
        "  Call --> Sdk",
        "  Sdk : kms:describeKey",
        "  Sdk --> [*]",
      ]),
    );
  });

  it("returns Map and Parallel states as composite states with their inner states when the ASL nests them", () => {
    const lines = renderDiagram(
      {
        StartAt: "Each",
        States: {
          Each: {
            Type: "Map",
            ItemsPath: "$.items",
            ItemProcessor: { StartAt: "Double", States: { Double: { Type: "Task", Resource: FN, End: true } } },
            Next: "Both",
          },
          Both: {
            Type: "Parallel",
            Branches: [
              { StartAt: "Left", States: { Left: { Type: "Pass", End: true } } },
              {
                StartAt: "Right",
                States: {
                  Right: {
                    Type: "Task",
                    Resource: "arn:aws:states:::states:startExecution.sync:2",
                    Parameters: { StateMachineArn: CHILD },
                    End: true,
                  },
                },
              },
            ],
            End: true,
          },
        },
      },
      names,
    );

    expect(lines.join("\n")).toContain(
      [
        "  state Each {",
        "    [*] --> Double",
        "    Double : λ check",
        "    Double --> [*]",
        "  }",
        "  state Both {",
        "    [*] --> Left",
        "    Left --> [*]",
        "    --",
        "    [*] --> Right",
        "    Right : starts child.sync:2",
        "    Right --> [*]",
        "  }",
        "  [*] --> Each",
        "  Each : Map over $.items",
        "  Each --> Both",
        "  Both : Parallel",
        "  Both --> [*]",
      ].join("\n"),
    );
  });

  it("returns Mermaid-safe ids and labels when state names and values carry spaces, quotes or keywords", () => {
    const lines = renderDiagram(
      {
        StartAt: "Is it done?",
        States: {
          "Is it done?": {
            Type: "Choice",
            Choices: [{ Variable: "$.s", StringEquals: 'a "b"; c', Next: "end" }],
            Default: "end",
          },
          end: { Type: "Pass", End: true },
        },
      },
      names,
    );

    expect(lines).toEqual(
      expect.arrayContaining([
        '  state "Is it done?" as Is_it_done_',
        "  state Is_it_done_ <<choice>>",
        "  Is_it_done_ --> s_end : $.s = 'a 'b', c'",
        '  state "end" as s_end',
      ]),
    );
  });

  it("returns every comparison of a Choice rule in readable form", () => {
    expect(condition({ Variable: "$.a", NumericLessThanPath: "$.b" })).toBe("$.a ＜ $.b");
    expect(condition({ Variable: "$.a", BooleanEquals: false })).toBe("$.a = false");
    expect(
      condition({
        Or: [
          { Variable: "$.a", IsNull: true },
          { Variable: "$.b", IsString: false },
        ],
      }),
    ).toBe("$.a is null or $.b is not string");
  });

  it("returns one section per state machine with its file link and comment", () => {
    const doc = renderDocument(
      [
        {
          key: "flow",
          name: "svc-dev-flow",
          file: "statemachines/flow.asl.yml",
          definition: { Comment: "Does it", StartAt: "A", States: { A: { Type: "Succeed" } } },
        },
      ],
      names,
    );

    expect(doc).toContain(
      "## flow\n\n`svc-dev-flow` from [statemachines/flow.asl.yml](../statemachines/flow.asl.yml): Does it.\n\n" +
        "```mermaid\nstateDiagram-v2\n  [*] --> A\n  A --> [*]\n```\n",
    );
  });

  it("returns the committed docs/diagrams.md when regenerated from serverless.yml and the ASL files (else run npm run diagrams)", async () => {
    const fresh = await generate();

    expect(readFileSync(DIAGRAMS_FILE, "utf8")).toBe(fresh);
  });
});
