// The @slidecharge/* paths come from the preset (absolute). This file reads nothing itself: Node 24 loads
// a TypeScript config as an ES module (no __dirname), Node 20 through ts-node as CommonJS.
/*
 * Browser tests (*.browser-spec.ts): Debian's chromium driven by playwright-core against the built
 * console (dist/services/ops-console-web), the real identity provider and, for the full spec, the
 * four services and services/ops-console as processes. scripts/browser.sh ensure installs chromium.
 */
export default {
  displayName: 'browser',
  preset: '../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.browser-spec.ts'],
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
};
