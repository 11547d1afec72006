/* Unit tests of the browser front end's pure modules (*.spec.ts): formatting, time zones, roles, breakdowns. */
export default {
  displayName: 'ops-console-web',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
