import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbLiveSessions } from '../adapters/dynamodb-live-sessions';
import { createWebSocketSessionDialer } from '../adapters/websocket-session-dialer';
import type { GatewayConfig } from '../core/gateway-config';
import { createProxyDependencies, type ProxyEnvironment } from '../proxy/dependencies';
import { SESSION_LIMIT_DEFAULTS, type SessionFrontDependencies } from './open-session';

/**
 * The session front's dependencies: the proxy Lambda's own (same environment, same adapters, same guard), plus
 * the WebSocket dialer and the session limits. One process serves many requests at once, so per-request log
 * keys (`annotate`, which a Lambda resets per invocation) are not kept: they would leak from one request into
 * another's lines.
 */
export function createSessionFrontDependencies(env: ProxyEnvironment, telemetry: { readonly logger: Logger; readonly metrics: Metrics }): SessionFrontDependencies {
  const proxy = createProxyDependencies(env, telemetry);
  const config = JSON.parse(env.GATEHOUSE_CONFIG ?? '{}') as Pick<GatewayConfig, 'sessionFront'>;
  const front = (config.sessionFront ?? {}) as { readonly maxSessionsPerAgent?: number; readonly maxSessionSeconds?: number };
  return {
    ...proxy,
    annotate: () => undefined,
    dialer: createWebSocketSessionDialer(),
    liveSessions: createDynamoDbLiveSessions({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 }, maxAttempts: 3 }), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      tableName: env.GATEHOUSE_RECORDS_TABLE ?? '',
    }),
    sessionLimits: {
      ...SESSION_LIMIT_DEFAULTS,
      ...(front.maxSessionsPerAgent ? { maxSessionsPerAgent: front.maxSessionsPerAgent } : {}),
      ...(front.maxSessionSeconds ? { maxSessionSeconds: front.maxSessionSeconds } : {}),
    },
  };
}
