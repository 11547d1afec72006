/* Unit tests of the monitoring material (Prometheus rules and scrape configuration, Grafana dashboard): files only, no services. */
export default {
  displayName: 'ops',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};
