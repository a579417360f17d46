import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { fixtureStack } from './fixtures/synth-stack';

describe('GatehouseStack options', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(fixtureStack({ tracing: true, removalPolicy: RemovalPolicy.DESTROY, stageName: 'dev', logLevel: 'DEBUG' }));
  });

  it('turns on X-Ray for the function and the stage when tracing is set', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_TRACE_ENABLED: 'true', POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'dev', TracingEnabled: true });
  });

  it('lets DEBUG through Lambda\'s log filter when the log level is DEBUG (Powertools follows AWS_LAMBDA_LOG_LEVEL)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Description: Match.stringLikeRegexp('^Gatehouse proxy'),
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'DEBUG' }),
    });
  });

  it('lets a dev stack delete its tables: no deletion protection, DeletionPolicy Delete', () => {
    template.allResources('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
  });

  it('empties the buckets of a dev stack on delete', () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});
