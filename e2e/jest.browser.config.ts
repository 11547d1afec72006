import { pathsToModuleNameMapper } from 'ts-jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, '../tsconfig.base.json'), 'utf8'));

/*
 * Browser tests (*.browser-spec.ts): Debian's chromium driven by playwright-core against the built
 * console (dist/services/ops-console-web), the real identity provider and, for the full spec, the
 * four services and services/ops-console as processes. scripts/browser.sh ensure installs chromium.
 */
export default {
  displayName: 'browser',
  preset: '../jest.preset.js',
  rootDir: '.',
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../' }),
  testMatch: ['<rootDir>/src/**/*.browser-spec.ts'],
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
};
