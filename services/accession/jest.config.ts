/* Unit tests: pure logic only (*.spec.ts). */
export default {
  displayName: 'accession',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
