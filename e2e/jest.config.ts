import { pathsToModuleNameMapper } from 'ts-jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, '../tsconfig.base.json'), 'utf8'));

/* End-to-end: the four services as separate processes (built into dist/), real Kafka and Postgres. */
export default {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  rootDir: '.',
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../' }),
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
};
