/** One jest run for every tier; tiers are told apart by file name:
 *  *.test.ts (pure), *.int.test.ts (real Redis/PostgreSQL), *.e2e.test.ts (spawned processes). */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/scripts', '<rootDir>/test'],
  testMatch: ['**/src/**/*.test.ts', '**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@dropgate/store/testing$': '<rootDir>/packages/store/test/index.ts',
    '^@dropgate/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  reporters: ['default', '<rootDir>/scripts/jest/summary-reporter.js'],
  testTimeout: 60000,
  // Sentry's SDK keeps process-wide hooks on globals; Jest 30's per-file globals cleanup would break later HTTP tests.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};
