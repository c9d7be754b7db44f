import { KMSClient } from "@aws-sdk/client-kms";

/** observability.ts reads SDK_TRACING through config when it loads, so each case loads it afresh. */
function tracedWith(sdkTracing: string | undefined): KMSClient {
  const saved = { ...process.env };
  if (sdkTracing === undefined) delete process.env.SDK_TRACING;
  else process.env.SDK_TRACING = sdkTracing;
  process.env.AWS_REGION = "us-east-1";
  // Powertools traces only inside Lambda.
  process.env.AWS_EXECUTION_ENV = "AWS_Lambda_nodejs22.x";
  try {
    let client: KMSClient | undefined;
    jest.isolateModules(() => {
      const { traced } = require("../../../src/observability") as typeof import("../../../src/observability");
      client = traced(new KMSClient({ region: "us-east-1" }));
    });
    return client as KMSClient;
  } finally {
    process.env = saved;
  }
}

const xrayMiddleware = (client: KMSClient) =>
  client.middlewareStack.identify().filter((name) => name.startsWith("XRaySDKInstrumentation"));

describe("SDK client tracing", () => {
  it("returns the client without X-Ray middleware when SDK tracing is off (the default)", () => {
    expect(xrayMiddleware(tracedWith(undefined))).toEqual([]);
    expect(xrayMiddleware(tracedWith("false"))).toEqual([]);
  });

  it("returns the client with X-Ray middleware on every call when SDK tracing is on", () => {
    expect(xrayMiddleware(tracedWith("true"))).toHaveLength(1);
  });

  it("refuses a value other than true or false, naming the variable", () => {
    expect(() => tracedWith("yes")).toThrow(/SDK_TRACING/);
  });
});
