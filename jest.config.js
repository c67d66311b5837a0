/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true }],
  },
  testTimeout: 60000,
  // Fixed fast-check seed for every test file (test/helpers/fuzz-seed.js).
  setupFiles: ['<rootDir>/test/helpers/fuzz-seed.js'],
};
