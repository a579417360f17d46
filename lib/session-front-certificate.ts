import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lambdaBundling } from './lambda-bundling';
import { lambdaLogging } from './lambda-logging';

/** Props of {@link SessionFrontCertificate}. */
export interface SessionFrontCertificateProps {
  /** The DNS name the server certificate is for: the load balancer's (a token, known at deploy) or the custom domain. */
  readonly dnsName: string;
  /** Customer managed KMS key of the secret. @default the account's `aws/secretsmanager` key */
  readonly encryptionKey?: IKey;
  /** Days the CA and the certificate are valid; renew before by changing `generation`. @default 825 */
  readonly validityDays?: number;
  /** Any text; changing it issues a new CA and certificate on the next deploy (clients then need the new CA). @default '1' */
  readonly generation?: string;
  /** Removal policy of the log group (the secret is always deleted with the stack: it is re-issued by a deploy). @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Retention of the issuing function's logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Handler module. @default `lambdas/session-front-ca/handler.ts` in this repository */
  readonly entry?: string;
}

/** Resource type of the certificate custom resource. */
export const SESSION_FRONT_CERTIFICATE_TYPE = 'Custom::GatehouseSessionFrontCertificate';

/**
 * The session front's TLS when there is no custom domain: at deploy, a custom resource (a small Lambda) issues a
 * single-use CA and a server certificate for the front's DNS name, and stores `{"certPem", "keyPem"}` in a
 * Secrets Manager secret the front reads (`GATEHOUSE_FRONT_TLS_SECRET_ARN`). The CA's key is never stored:
 * nothing else can ever be signed by it. {@link caPem} is what the operator CLI writes into kubeconfigs.
 */
export class SessionFrontCertificate extends Construct {
  /** The secret holding `{"certPem": "...", "keyPem": "..."}`. */
  readonly secret: Secret;
  /** The issuing function. */
  readonly function: NodejsFunction;
  /** The custom resource. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SessionFrontCertificateProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Gatehouse session front: the TLS certificate and key it serves ({"certPem","keyPem"}), issued at deploy',
      encryptionKey: props.encryptionKey,
      // Re-issued by any deploy that needs it; an orphan kept after the stack would only keep a private key around.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN });
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? path.join(__dirname, '..', 'lambdas', 'session-front-ca', 'handler.ts'),
      handler: 'handler',
      description: 'Gatehouse session front: issues the deploy-time CA and server certificate',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(1),
      logGroup,
      ...lambdaLogging(),
      bundling: lambdaBundling(''),
    });
    // Write only: the function never reads the secret back.
    this.secret.grantWrite(this.function);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: SESSION_FRONT_CERTIFICATE_TYPE,
      properties: {
        SecretArn: this.secret.secretArn,
        DnsName: props.dnsName,
        ValidityDays: String(props.validityDays ?? 825),
        Generation: props.generation ?? '1',
      },
    });
    // The policy must be in place before the first issue.
    this.resource.node.addDependency(this.function);
    this.suppressFindings();
  }

  /** The CA's PEM (a `Fn::GetAtt`): clients trust it; a kubeconfig's `certificate-authority-data` is its base64. */
  get caPem(): string {
    return this.resource.getAttString('CaPem');
  }

  /** SHA-256 of the server certificate; changes with every issue (put it in the task's environment to roll the tasks). */
  get fingerprint(): string {
    return this.resource.getAttString('Fingerprint');
  }

  /** Lets the grantee (the front's task role) read the certificate and key, and decrypt them. */
  grantRead(grantee: IGrantable): Grant {
    return this.secret.grantRead(grantee);
  }

  private suppressFindings(): void {
    NagSuppressions.addResourceSuppressions(this.secret, [{
      id: 'AwsSolutions-SMG4',
      reason: 'The secret holds a certificate issued by the deploy-time custom resource, not a password: it is renewed by changing the construct\'s generation (a deploy), which also issues a new CA; Secrets Manager rotation has nothing to rotate it with.',
    }]);
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x on purpose, like the proxy: built and tested for Node 22.',
    }]);
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only allows writing to CloudWatch Logs, which every Lambda needs; it grants no data access.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    }], true);
  }
}
