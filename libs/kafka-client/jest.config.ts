/* Unit tests: pure logic only (*.spec.ts). */
export default {
  displayName: 'kafka-client',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
