/* Unit tests: pure logic only (*.spec.ts). */
export default {
  displayName: 'ops-console',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
