// Shared jest settings for every project. Each project has up to three configs, as in twentyhq/twenty:
//   jest.config.ts              unit tests (*.spec.ts): pure logic, no I/O, mocks allowed
//   jest.integration.config.ts  integration tests (*.int-spec.ts): real Postgres and Kafka
//   e2e/jest.config.ts          end-to-end (*.e2e-spec.ts): the four services as separate processes
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    // jose 6 ships ES modules only. Node loads it with require() (Node >= 20.19), jest's module system
    // does not, so jest compiles it to CommonJS like our own files.
    '/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Absolute paths from this file's folder (the workspace root): right for a project at any depth
  // (libs/x and services/x, e2e), so no project config needs to read tsconfig.base.json itself.
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: `${__dirname}/` }),
  clearMocks: true,
};
