import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { appWithProjectContext, fixtureStack } from './fixtures/synth-stack';

describe('cdk-nag AwsSolutions checks', () => {
  const stacks: Record<string, Stack> = {};

  beforeAll(() => {
    // One app, two stacks: the defaults, and the other branches that change IAM and resources (tracing adds
    // X-Ray permissions, DESTROY adds auto-delete of the buckets). One synth for the file.
    const app = appWithProjectContext();
    stacks.defaults = fixtureStack({}, { nag: true, app, id: 'Defaults' });
    stacks.tracedDevStack = fixtureStack({ tracing: true, removalPolicy: RemovalPolicy.DESTROY }, { app, id: 'TracedDev' });
  });

  const findings = (stack: Stack, kind: 'findError' | 'findWarning') =>
    Annotations.fromStack(stack)[kind]('*', Match.stringLikeRegexp('AwsSolutions-.*')).map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);

  it.each(['defaults', 'tracedDevStack'])('leaves no unsuppressed error in the %s stack', (name) => {
    expect(findings(stacks[name]!, 'findError')).toEqual([]);
  });

  it.each(['defaults', 'tracedDevStack'])('leaves no unsuppressed warning in the %s stack', (name) => {
    expect(findings(stacks[name]!, 'findWarning')).toEqual([]);
  });
});
