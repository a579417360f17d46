#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth -c configFile=<path>`. Reads and validates the configuration, then builds
 * the stack with cdk-nag's AWS Solutions checks applied. Context keys (all optional):
 * - `configFile`: configuration path, default `gatehouse.config.yaml`
 * - `stackName`: default `Gatehouse`
 * - `stageName`: API stage, default `v1`
 * - `tracing`: `true` turns on X-Ray for the API and the proxy
 * - `destroyOnRemoval`: `true` for dev stacks whose data may be deleted with the stack
 */
import { App, Aspects, RemovalPolicy } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/errors';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { loadGatewayConfigFile } from '../lib/config/load-gateway-config-file';
import { loadGatewayPolicy } from '../lib/config/load-gateway-policy';
import path from 'node:path';
import { GatehouseStack } from '../lib/gatehouse-stack';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
};
const configFile = context('configFile') ?? 'gatehouse.config.yaml';

let config: GatewayConfig;
let policy: string;
try {
  // The CLI's account and region (from its credentials): roles the stack creates and access entries it makes
  // must be there, and saying so at synth beats a CloudFormation failure halfway through a deploy.
  config = loadGatewayConfigFile(configFile, { deployment: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } });
  policy = loadGatewayPolicy(config, path.dirname(path.resolve(configFile))).serialized;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // The CDK CLI shows the app's stderr; a stack trace would bury the list of problems.
  process.stderr.write(`\n${error.message}\n\nNothing was synthesized.\n`);
  process.exit(1);
}

new GatehouseStack(app, context('stackName') ?? 'Gatehouse', {
  config,
  policy,
  stageName: context('stageName'),
  tracing: context('tracing') === 'true',
  removalPolicy: context('destroyOnRemoval') === 'true' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Gatehouse: recorded, grant-checked kubectl access to EKS for agents and CI',
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
