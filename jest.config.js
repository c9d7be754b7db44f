/** Three layers (STYLE.md §12): unit (SDK mocked), statemachines (real ASL, local runtime), e2e (local account). */
const transform = { "^.+\\.(t|j|mj)s$": ["@swc/jest", { jsc: { target: "es2022" } }] };
// middy and a few others ship ESM only; jest runs CommonJS, so swc transpiles them too.
const transformIgnorePatterns = ["node_modules/(?!(@middy|@aws-lambda-powertools)/)"];

const project = (name, timeout) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform,
  transformIgnorePatterns,
  testEnvironment: "node",
  ...(timeout ? { slowTestThreshold: timeout } : {}),
});

module.exports = {
  projects: [
    project("unit"),
    project("e2e", 30),
    project("statemachines", 30),
    project("reliability", 180),
    // The packaged template (.serverless/): run after `npm run package` (npm test does).
    project("package"),
  ],
  testTimeout: 120000,
  // The reliability suite runs its seeded scenarios in one test (RELIABILITY_SEEDS bounds it; see its header).
};
