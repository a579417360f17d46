/**
 * Jest config for Stryker (`npm run mutation`, see docs/MUTATION.md): the unit project of jest.config.js only,
 * same ts-jest transform and transformIgnorePatterns (@middy and @marcbachmann ship ESM). Left out:
 * - the cdk and e2e projects (CDK synth, real kubectl through local mode);
 * - the kube-api-simulator tests: they exercise local/ and import nothing from lambdas/, so they cannot kill a
 *   mutant there;
 * - the approvals suites that start DynamoDB Local (Java) or load aws-cdk-lib and the Step Functions
 *   interpreter: each costs 3-7 s to start, and Stryker starts it again for every mutant they cover.
 *   The pure approvals tests still run.
 */
const unit = require('./jest.config.js').projects.find((project) => project.displayName === 'unit');

const SLOW_TO_START = ['create-approval-gate', 'approval-workflow-steps', 'dynamodb-approval-store', 'state-machine', 'step-functions-stand-in'];

module.exports = {
  ...unit,
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/unit/kube-api-simulator/',
    ...SLOW_TO_START.map((name) => `<rootDir>/test/unit/approvals/${name}\\.test\\.ts$`),
  ],
};
