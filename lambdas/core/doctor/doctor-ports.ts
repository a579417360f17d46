import type { SecretMetadata } from './store-checks';

/** Reads a state machine's status (Step Functions DescribeStateMachine). */
export interface StateMachineDescriber {
  describe(stateMachineArn: string): Promise<{ readonly status: string }>;
}

/** Reads a secret's metadata (Secrets Manager DescribeSecret): never its value. */
export interface SecretDescriber {
  describe(secretArn: string): Promise<SecretMetadata>;
}
