import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The environment of the approval Lambdas and of the proxy's approval gate (set by the CDK constructs, or by local mode). */
export type ApprovalEnvironment = Readonly<Record<string, string | undefined>>;

/** A document client with short timeouts: approval steps answer Slack within 3 s, the proxy well within 29 s. */
export function approvalDocumentClient(): DynamoDBDocumentClient {
  const requestHandler = { connectionTimeout: 1000, requestTimeout: 3000 };
  return DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler, maxAttempts: 3 }), { marshallOptions: { removeUndefinedValues: true } });
}

/** A variable the stack always sets; missing, the function's configuration is wrong, and the error says so. */
export function requiredEnvironment(env: ApprovalEnvironment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the Gatehouse stack sets it, so check the function's configuration.`);
  return value;
}
