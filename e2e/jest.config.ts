import { pathsToModuleNameMapper } from 'ts-jest';
import { compilerOptions } from '../tsconfig.base.json';

/* End-to-end: the four services as separate processes (built into dist/), real Kafka and Postgres. */
export default {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  rootDir: '.',
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../' }),
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  testTimeout: 120_000,
};
