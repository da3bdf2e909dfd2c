/** Unit specs live next to the code; end-to-end specs in test/ boot the real app. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];
/** The SDK from its sources (its package exports point at the build). */
const moduleNameMapper = {
  '^@parley/client$': '<rootDir>/packages/client/src/index.ts',
  '^@parley/client/node$': '<rootDir>/packages/client/src/node.ts',
};

module.exports = {
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/packages/*/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // every event and ack a test client receives is checked against src/protocol
      setupFilesAfterEnv: ['<rootDir>/test/support/contract-setup.ts'],
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper,
      slowTestThreshold: 30,
    },
  ],
};
