import type { Metrics } from "@aws-lambda-powertools/metrics";
import { publishStoreMetrics } from "../../../../src/store-signals/metrics";

/** The calls an EMF record is made of, in order: each flush closes one record. */
function recorder() {
  const records: { dimensions: Record<string, string>; metrics: Record<string, number> }[] = [];
  let current = { dimensions: {} as Record<string, string>, metrics: {} as Record<string, number> };
  const metrics = {
    addDimension: (name: string, value: string) => void Object.assign(current.dimensions, { [name]: value }),
    addDimensions: (dims: Record<string, string>) => void Object.assign(current.dimensions, dims),
    addMetric: (name: string, _unit: string, value: number) => void Object.assign(current.metrics, { [name]: value }),
    publishStoredMetrics: () => {
      records.push(current);
      current = { dimensions: {}, metrics: {} };
    },
  };
  return { metrics: metrics as unknown as Metrics, records };
}

describe("publishStoreMetrics", () => {
  it("returns the register's gauges in the store's record when the check read them", () => {
    const { metrics, records } = recorder();

    publishStoreMetrics(metrics, [
      { customKeyStoreId: "cks-one", connected: true, keysPendingDeletion: 3, oldestOpenOrphanDays: 8.33 },
      { customKeyStoreId: "cks-two", connected: false },
    ]);

    expect(records).toEqual([
      {
        dimensions: { CustomKeyStoreId: "cks-one" },
        metrics: { Connected: 1, KeysPendingDeletion: 3, OldestOpenOrphanDays: 8.33 },
      },
      // A register the check could not read is absent, never reported as 0.
      { dimensions: { CustomKeyStoreId: "cks-two" }, metrics: { Connected: 0 } },
    ]);
  });
});
