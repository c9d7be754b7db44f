// One warm Lambda instance: a worker thread with its own process.env (the function's environment) and module cache.
// Loads the handler once (TypeScript through tsx, as `npm start` runs it) and serves invocations one at a time.
const { parentPort, workerData } = require("node:worker_threads");

// The handler sees the local account's simulated clock: `Date.now()`, `new Date()` and `Date()` read real time plus
// the account's offset, shared with the account (Clock.shared), so a clock advance is seen at once. Timers stay on
// real time: a function gets its configured seconds of real time, whatever the simulated clock does.
const RealDate = Date;
const realNow = RealDate.now;
const offset = new BigInt64Array(workerData.clockOffset);
const simNow = () => realNow() + Number(Atomics.load(offset, 0));
globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [simNow()] : args, newTarget),
  apply: () => new RealDate(simNow()).toString(),
  get: (target, property, receiver) => (property === "now" ? simNow : Reflect.get(target, property, receiver)),
});

require("tsx/cjs/api").register();

let handlerPromise;
function loadHandler() {
  handlerPromise ??= Promise.resolve().then(() => {
    const mod = require(workerData.modulePath);
    const handler = mod[workerData.exportName];
    if (typeof handler !== "function") {
      const error = new Error(`${workerData.modulePath} does not export a function '${workerData.exportName}'`);
      error.name = "Runtime.HandlerNotFound";
      throw error;
    }
    return handler;
  });
  return handlerPromise;
}

function contextFor(invocation) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: workerData.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: workerData.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - realNow()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function toError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: String(error.stack ?? "").split("\n"),
    };
  }
  return { errorType: "Error", errorMessage: typeof error === "string" ? error : JSON.stringify(error), trace: [] };
}

parentPort.on("message", async (invocation) => {
  try {
    const handler = await loadHandler();
    const context = contextFor(invocation);
    const result = await new Promise((resolve, reject) => {
      // Handlers may be async (middy) or take a callback, as the Node.js runtime allows.
      const callback = (error, value) => (error ? reject(error) : resolve(value));
      const returned = handler(invocation.event, context, callback);
      if (returned && typeof returned.then === "function") returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    });
    parentPort.postMessage({ requestId: invocation.requestId, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    parentPort.postMessage({ requestId: invocation.requestId, ok: false, error: toError(error) });
  }
});
