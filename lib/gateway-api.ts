import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat, AuthorizationType, EndpointType, LambdaIntegration, LogGroupLogDestination, MethodLoggingLevel, ResponseTransferMode,
  type Method, type MethodOptions, ResponseType, RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { accessLogFormat } from './access-log-format';

/** Props of {@link GatewayApi}. */
export interface GatewayApiProps {
  /** The proxy function every route invokes. */
  readonly handler: IFunction;
  /** Stage name, the first path segment of every URL. @default 'v1' */
  readonly stageName?: string;
  /** X-Ray tracing on the stage. @default false */
  readonly tracing?: boolean;
  /** Steady-state requests per second across the stage; kubectl discovery alone bursts ~50. @default 100 */
  readonly throttlingRateLimit?: number;
  /** Burst capacity of the stage. @default 200 */
  readonly throttlingBurstLimit?: number;
  /** Retention of the access log group. @default RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: RetentionDays;
  /** Removal policy of the access log group. @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
  /**
   * Create the account's API Gateway CloudWatch role (`AWS::ApiGateway::Account`), needed for access and
   * execution logs. It is one setting per account and region: turn this off if another stack owns it.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Also serve AWS connections (docs/AWS.md): `ANY /aws/{connection}` (S3 ListBuckets is `GET /`),
   * `ANY /aws/{connection}/{proxy+}` and `POST /aws-credentials/{connection}`, on the same handler. The stack
   * turns this on when the configuration has `awsConnections`.
   * @default false
   */
  readonly awsRoutes?: boolean;
}

/** API Gateway's own failures, answered as Kubernetes Status objects so kubectl prints them readably. */
const STATUS_RESPONSES = [
  { type: ResponseType.THROTTLED, code: 429, reason: 'TooManyRequests' },
  { type: ResponseType.REQUEST_TOO_LARGE, code: 413, reason: 'RequestEntityTooLarge' },
  { type: ResponseType.INTEGRATION_TIMEOUT, code: 504, reason: 'Timeout' },
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 404, reason: 'NotFound' },
  { type: ResponseType.DEFAULT_4XX, reason: 'BadRequest' },
  { type: ResponseType.DEFAULT_5XX, reason: 'InternalError' },
];

/**
 * The regional REST API in front of the proxy: `ANY /k8s/{connection}` and `ANY /k8s/{connection}/{proxy+}`
 * (and, with `awsRoutes`, the AWS routes) as Lambda proxy integrations, every media type passed as binary,
 * JSON access logs, stage throttling.
 *
 * Authorization is NONE on purpose: the proxy verifies the JWT itself so that every failure reaches kubectl
 * as a Kubernetes Status object; an API Gateway authorizer would answer with its own 401/403 bodies and could
 * not tell issuers or agents apart for grants.
 */
export class GatewayApi extends Construct {
  /** The REST API. */
  readonly api: RestApi;
  /** The access log group. */
  readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.api = new RestApi(this, 'Api', {
      description: 'Gatehouse: kubectl access to EKS through a recording, policy-checking proxy',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // API Gateway decides "binary" from the first Accept value; */* makes every body reach the Lambda
      // untouched as base64 (protobuf, gzip, apply-patch YAML alike).
      binaryMediaTypes: ['*/*'],
      cloudWatchRole,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: props.tracing ?? false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        // Request metadata only, short keys: see lib/access-log-format.ts.
        accessLogFormat: AccessLogFormat.custom(accessLogFormat()),
        // Execution logs at ERROR only, and never data traces: those would log headers, i.e. bearer tokens.
        // (Like access logs, they need the account's CloudWatch role, whoever creates it.)
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
      },
    });

    // allowTestInvoke: false keeps the Lambda permission to the deployed stage only. STREAM: the proxy answers
    // in response-streaming mode (watch, logs -f, answers past 10 MB), for up to 15 minutes per request.
    const integration = new LambdaIntegration(props.handler, {
      proxy: true, allowTestInvoke: false, responseTransferMode: ResponseTransferMode.STREAM, timeout: Duration.minutes(15),
    });
    const validator = this.api.addRequestValidator('PathParameters', { validateRequestParameters: true });
    const connection = this.api.root.addResource('k8s').addResource('{connection}');
    const options = (params: string[]): MethodOptions => ({
      requestValidator: validator,
      requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])),
    });
    connection.addMethod('ANY', integration, options(['connection']));
    connection.addResource('{proxy+}').addMethod('ANY', integration, options(['connection', 'proxy']));
    if (props.awsRoutes) {
      // The same streaming integration as kubectl's: one handler tells the routes apart by path, and binaryMediaTypes
      // */* above already hands it every AWS body (S3 objects, CBOR, gzip) untouched, so the SigV4 body hash holds.
      const aws = this.api.root.addResource('aws').addResource('{connection}');
      aws.addMethod('ANY', integration, options(['connection']));
      aws.addResource('{proxy+}').addMethod('ANY', integration, options(['connection', 'proxy']));
      this.api.root.addResource('aws-credentials').addResource('{connection}').addMethod('POST', integration, options(['connection']));
    }

    for (const { type, code, reason } of STATUS_RESPONSES) {
      this.api.addGatewayResponse(`Status${reason}${code ?? ''}`, {
        type,
        ...(code ? { statusCode: String(code) } : {}),
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: {
          'application/json': `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":$context.error.messageString,"reason":"${reason}"${code ? `,"code":${code}` : ''}}`,
        },
      });
    }
    this.suppressFindings(cloudWatchRole);
  }

  /**
   * `GET <path>` served by `handler` with IAM authorization (SigV4 with AWS credentials that may execute-api:Invoke
   * it): for operators' routes such as the doctor, which no agent token can call.
   */
  addOperatorRoute(routePath: string, handler: IFunction): Method {
    let resource = this.api.root;
    for (const part of routePath.split('/').filter(Boolean)) resource = resource.getResource(part) ?? resource.addResource(part);
    const method = resource.addMethod('GET', new LambdaIntegration(handler, { proxy: true, allowTestInvoke: false }), { authorizationType: AuthorizationType.IAM });
    NagSuppressions.addResourceSuppressions(method, [{
      id: 'AwsSolutions-COG4',
      reason: 'Operators call this route with their AWS credentials (IAM authorization, SigV4), not as Cognito users.',
    }]);
    return method;
  }

  /** Base URL of the stage, without a trailing slash: `https://<id>.execute-api.<region>.amazonaws.com/<stage>`. */
  get endpointUrl(): string {
    return this.api.urlForPath('/').replace(/\/$/, '');
  }

  /** The kubeconfig `server` for a connection: `<endpointUrl>/k8s/<connection>`. */
  serverUrl(connection: string): string {
    return this.api.urlForPath(`/k8s/${connection}`);
  }

  /** The AWS SDK's `endpoint_url` for an AWS connection: `<endpointUrl>/aws/<connection>`. */
  awsEndpointUrl(connection: string): string {
    return this.api.urlForPath(`/aws/${connection}`);
  }

  /** Where `gatehouse-aws-credentials` asks for a connection's session credential: `<endpointUrl>/aws-credentials/<connection>`. */
  awsCredentialsUrl(connection: string): string {
    return this.api.urlForPath(`/aws-credentials/${connection}`);
  }

  private suppressFindings(cloudWatchRole: boolean): void {
    NagSuppressions.addResourceSuppressions(this.api, [
      {
        id: 'AwsSolutions-APIG4',
        reason: 'Authorization NONE is deliberate: the proxy Lambda verifies the JWT (issuer, audience, signature, expiry) on every request so that failures reach kubectl as Kubernetes Status objects, and matches grants on claims an authorizer cannot see.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Agents are CI jobs and AI agents with OIDC tokens from their own issuers (GitHub Actions, Okta), not Cognito users; the proxy verifies those tokens itself.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason: 'Path parameters are validated; bodies are not: they are Kubernetes objects (JSON, apply-patch YAML, protobuf) passed as binary, checked by the proxy\'s policy and validated by the API server; AWS calls\' bodies are in each service\'s own protocol (JSON, query, XML, S3 objects), covered by their SigV4 signature and classified by the proxy. API Gateway models cannot describe them.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'No WAF by default: every request is authenticated by the proxy and throttled at the stage; an organization that mandates WAF associates its web ACL with the stage.',
      },
    ], true);
    if (cloudWatchRole) {
      NagSuppressions.addResourceSuppressions(this.api, [{
        id: 'AwsSolutions-IAM4',
        reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy API Gateway requires for the account-level logging role; it only allows writing logs.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
      }], true);
    }
  }
}
