import { earlierThan } from "../../src/executions";

const arn = (name: string) =>
  `arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-connectKeyStore:${name}`;

describe("earlierThan", () => {
  it("returns the execution that started first when self started later", () => {
    const running = [
      { executionArn: arn("b"), startDate: 2_000 },
      { executionArn: arn("a"), startDate: 1_000 },
    ];

    expect(earlierThan(running, arn("b"))?.executionArn).toBe(arn("a"));
    expect(earlierThan(running, arn("a"))).toBeUndefined();
  });

  it("returns the smaller ARN when both started in the same millisecond, so both agree on one", () => {
    const running = [
      { executionArn: arn("y"), startDate: 1_000 },
      { executionArn: arn("x"), startDate: 1_000 },
    ];

    expect(earlierThan(running, arn("y"))?.executionArn).toBe(arn("x"));
    expect(earlierThan(running, arn("x"))).toBeUndefined();
  });

  it("returns any other execution when self is not listed yet (ListExecutions is eventually consistent)", () => {
    expect(earlierThan([{ executionArn: arn("other"), startDate: 5_000 }], arn("self"))?.executionArn).toBe(
      arn("other"),
    );
  });

  it("returns nothing when self runs alone", () => {
    expect(earlierThan([{ executionArn: arn("self"), startDate: 1_000 }], arn("self"))).toBeUndefined();
    expect(earlierThan([], arn("self"))).toBeUndefined();
  });
});
