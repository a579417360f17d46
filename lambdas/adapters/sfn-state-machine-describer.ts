import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { StateMachineDescriber } from '../core/doctor/doctor-ports';

/** Reads a state machine's status with DescribeStateMachine; errors pass through for the doctor to classify. */
export function createSfnStateMachineDescriber(options: { readonly client: Pick<SFNClient, 'send'> }): StateMachineDescriber {
  return {
    async describe(stateMachineArn) {
      const out = await options.client.send(new DescribeStateMachineCommand({ stateMachineArn }));
      return { status: out.status ?? 'UNKNOWN' };
    },
  };
}
