/* Unit tests: pure logic only (*.spec.ts). */
export default {
  displayName: 'hl7',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
