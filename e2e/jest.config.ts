// The @slidecharge/* paths come from the preset (absolute). This file reads nothing itself: Node 24 loads
// a TypeScript config as an ES module (no __dirname), Node 20 through ts-node as CommonJS.
/* End-to-end: the four services as separate processes (built into dist/), real Kafka and Postgres. */
export default {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
};
