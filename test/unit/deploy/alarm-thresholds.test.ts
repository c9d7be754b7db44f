// serverless.yml derives HsmSessionsAlarm's threshold through deploy/alarm-thresholds.cjs.
type ThresholdResolver = (ctx: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<unknown>;
const thresholds = require("../../../deploy/alarm-thresholds.cjs") as {
  hsmSessionAlarmThreshold: ThresholdResolver;
} & {
  sessionThreshold: (limit: unknown, percent: unknown) => number;
};

describe("alarm thresholds of serverless.yml", () => {
  it("returns the percentage of the session limit, rounded down, from the params as osls resolves them", async () => {
    const params: Record<string, unknown> = { "param:hsmSessionLimit": 2048, "param:hsmSessionAlarmPercent": "90" };

    expect(await thresholds.hsmSessionAlarmThreshold({ resolveVariable: async (a) => params[a] })).toBe(1843);
    expect(thresholds.sessionThreshold("2048", 100)).toBe(2048);
  });

  it("throws naming the param when a value is not a limit or a percentage", () => {
    expect(() => thresholds.sessionThreshold("lots", 90)).toThrow("param hsmSessionLimit");
    expect(() => thresholds.sessionThreshold(2048, 0)).toThrow("param hsmSessionAlarmPercent");
    expect(() => thresholds.sessionThreshold(2048, 120)).toThrow("param hsmSessionAlarmPercent");
  });
});
