import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSessionFrontDependencies } from './dependencies';
import { startSessionFront } from './session-front';

/**
 * The session front's container entry (ECS on Fargate, see lib/session-front-service.ts): the same environment
 * as the proxy Lambda, plus the TLS certificate made at deploy (a Secrets Manager secret holding
 * `{"certPem","keyPem"}`). SIGTERM (a deployment, a scale-in) stops new requests and ends open sessions with a
 * message to the agent, so every record is completed before the task stops.
 */
async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'gatehouse-session-front' });
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Gatehouse', serviceName: 'gatehouse-session-front' });
  const secretArn = process.env.GATEHOUSE_FRONT_TLS_SECRET_ARN;
  if (!secretArn) throw new Error('GATEHOUSE_FRONT_TLS_SECRET_ARN is not set; the stack sets it on the task definition.');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  const tls = JSON.parse(secret.SecretString ?? '{}') as { certPem?: string; keyPem?: string };
  if (!tls.certPem || !tls.keyPem) throw new Error(`${secretArn} holds no certPem/keyPem.`);
  const front = await startSessionFront({
    deps: createSessionFrontDependencies(process.env, { logger, metrics }),
    tls: { certPem: tls.certPem, keyPem: tls.keyPem },
    port: Number(process.env.GATEHOUSE_FRONT_PORT ?? 8443),
  });
  logger.info('session front listening', { port: front.port });
  // A long-running process has no invocation end to flush metrics at: publish them every minute.
  const flush = setInterval(() => metrics.publishStoredMetrics(), 60_000);
  process.once('SIGTERM', () => {
    logger.info('SIGTERM: draining', { liveSessions: front.live.size });
    clearInterval(flush);
    void front.close().finally(() => {
      metrics.publishStoredMetrics();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'ERROR', message: 'session front failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
