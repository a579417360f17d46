/**
 * Three projects: pure/unit tests, CDK template tests and end-to-end tests that drive real kubectl
 * through local mode. `npx jest --selectProjects unit` runs just one of them.
 */
const tsJest = ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true, esModuleInterop: true } }];
const common = {
  testEnvironment: 'node',
  // @middy/core ships ESM only; let ts-jest turn it into CommonJS for the tests.
  transform: { '^.+\\.(t|j|mj)s$': tsJest },
  transformIgnorePatterns: ['node_modules/(?!(@middy|@marcbachmann)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // Stryker's sandboxes (`npm run mutation`) are copies of the whole project: keep them out of the haste map.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/', '<rootDir>/reports/'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'cdk', testMatch: ['<rootDir>/test/cdk/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/support/global-teardown.ts',
    },
  ],
};
