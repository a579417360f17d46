import { UpstreamResponseError } from '../errors';
import type { AwsRequestInfo } from '../aws/aws-request-info';
import { MASKED_VALUE } from './credential-patterns';
import { MASKED_BASE64 } from './mask-json-value';
import { isUtf8Text, maskText, type CompiledPatterns, type MaskCounts } from './mask-text';
import { AWS_MASK_COUNTS, rewriteJson, rewriteXml } from './mask-aws-body';

/**
 * Masking of AWS answers: the values a call exists to return in clear (a secret's value, a decrypted parameter,
 * new access keys, a function's environment, KMS plaintext, a registry password) are replaced by the mask
 * marker, by action; credential patterns run over every other string of a textual answer. Only those strings
 * change: the rest of the body is kept byte for byte (numbers, order, whitespace), so it stays valid JSON or XML
 * and the SDK reads it as before.
 */

/** What `maskAwsResponse` (and `maskAwsRequestBody`) reads. `body` must already be decoded (no Content-Encoding). */
export interface MaskAwsInput {
  readonly info: AwsRequestInfo;
  /** The answer's HTTP status; masking by action applies to success answers only. Ignored for request bodies. */
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly patterns: CompiledPatterns;
  /** From the policy decision: the action's values pass unmasked (patterns still run over the rest). */
  readonly unmask: boolean;
}

/** The masked body (the input buffer itself when nothing changed) and the masked values per kind. */
export interface MaskAwsResult {
  readonly body: Buffer;
  readonly counts: Readonly<Record<string, number>>;
}

/** A rule's replacement for a value and the count it is recorded under. */
export interface Marker {
  readonly marker: string;
  readonly count: string;
}

/**
 * Fields masked wherever they appear in the body (JSON key or XML element name), when the object or element
 * they are in sits under one of `parents` (if given). `companions` pass unmasked with `unmask` (the key id of
 * credentials), so that credentials the policy lets through are whole.
 */
export interface FieldRule {
  readonly kind: 'fields';
  readonly fields: Readonly<Record<string, Marker>>;
  readonly parents?: readonly string[];
  readonly companions?: readonly string[];
}

/**
 * A masking rule: named fields; SSM parameters (`{Name, Type, Value}`: SecureString values, and typeless ones
 * when `typeless` says so or the call asked WithDecryption); Lambda environments (`Environment.Variables` values).
 */
export type AwsMaskRule =
  | FieldRule
  | { readonly kind: 'ssm-parameters'; readonly typeless?: 'mask' }
  | { readonly kind: 'lambda-environment' };

export { AWS_MASK_COUNTS };

/** ECR's token is base64 of `AWS:<password>`: the masked one still decodes to a user and a password. */
export const MASKED_REGISTRY_TOKEN = Buffer.from(`AWS:${MASKED_VALUE}`).toString('base64');

const C = AWS_MASK_COUNTS;
const text = (count: string): Marker => ({ marker: MASKED_VALUE, count });
const blob = (count: string): Marker => ({ marker: MASKED_BASE64, count });

/** Secrets Manager's value fields, in answers and in the calls that set them. */
export const SECRET_VALUE_RULE: FieldRule = { kind: 'fields', fields: { SecretString: text(C.secretValue), SecretBinary: blob(C.secretValue) } };
// The credentials are usable only whole: with `unmask` the key id passes with them rather than being masked as a pattern.
const STS_CREDENTIALS: FieldRule = {
  kind: 'fields', parents: ['Credentials'], companions: ['AccessKeyId'],
  fields: { SecretAccessKey: text(C.secretAccessKey), SessionToken: text(C.sessionToken) },
};
const KMS_PLAINTEXT: FieldRule = {
  kind: 'fields', fields: { Plaintext: blob(C.kmsPlaintext), PrivateKeyPlaintext: blob(C.kmsPlaintext), SharedSecret: blob(C.kmsPlaintext) },
};
const ECR_TOKEN: FieldRule = { kind: 'fields', fields: { authorizationToken: { marker: MASKED_REGISTRY_TOKEN, count: C.registryToken } } };

/** Rules by service: the actions each applies to. */
export type AwsRuleTable = Readonly<Record<string, readonly (readonly [readonly string[], AwsMaskRule])[]>>;

/** What each action's answer carries in clear. An unknown action ('') gets every rule of its service. */
const RESPONSE_RULES: AwsRuleTable = {
  secretsmanager: [[['GetSecretValue', 'BatchGetSecretValue'], SECRET_VALUE_RULE]],
  ssm: [[['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory'], { kind: 'ssm-parameters' }]],
  sts: [[['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'AssumeRoot', 'GetSessionToken', 'GetFederationToken'], STS_CREDENTIALS]],
  iam: [
    [['CreateAccessKey'], { kind: 'fields', parents: ['AccessKey'], companions: ['AccessKeyId'], fields: { SecretAccessKey: text(C.secretAccessKey) } }],
    [['CreateServiceSpecificCredential', 'ResetServiceSpecificCredential'], {
      kind: 'fields', parents: ['ServiceSpecificCredential'],
      fields: { ServicePassword: text(C.servicePassword), ServiceCredentialSecret: text(C.servicePassword) },
    }],
  ],
  // Every FunctionConfiguration carries the environment; these are the actions that answer with one.
  lambda: [[[
    'GetFunction', 'GetFunctionConfiguration', 'ListFunctions', 'UpdateFunctionConfiguration', 'CreateFunction', 'UpdateFunctionCode',
    'PublishVersion', 'ListVersionsByFunction',
  ], { kind: 'lambda-environment' }]],
  kms: [[['Decrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'GenerateRandom', 'DeriveSharedSecret'], KMS_PLAINTEXT]],
  ecr: [[['GetAuthorizationToken'], ECR_TOKEN]],
  'ecr-public': [[['GetAuthorizationToken'], ECR_TOKEN]],
};

/** The rules of an action in a rule table. */
export function rulesFor(table: AwsRuleTable, info: Pick<AwsRequestInfo, 'service' | 'action'>): AwsMaskRule[] {
  return (Object.prototype.hasOwnProperty.call(table, info.service) ? table[info.service] : []).filter(([actions]) => info.action === '' || actions.includes(info.action)).map(([, rule]) => rule);
}

/**
 * Masks an AWS answer (JSON, XML or text; decoded). A success answer of an action in the table has its values
 * masked (SSM: the Value of SecureString parameters, and of every parameter when WithDecryption was asked and
 * the answer gives no Type); patterns run over every string (JSON values with their key, XML text with its
 * element name, or the whole text). A binary answer (an S3 object that is not text) is returned as it is: the
 * caller streams those. Throws UpstreamResponseError (fail closed) when an action with values to mask answers
 * with a body that cannot be read as JSON or XML, unless `unmask`.
 */
export function maskAwsResponse(input: MaskAwsInput): MaskAwsResult {
  const rules = input.status >= 200 && input.status < 300 ? rulesFor(RESPONSE_RULES, input.info) : [];
  return maskAwsBody(input, rules, 'AWS\'s answer');
}

/** The shared driver of answer and request-body masking, for a set of rules. */
export function maskAwsBody(input: MaskAwsInput, rules: readonly AwsMaskRule[], what: string): MaskAwsResult {
  const { body } = input;
  if (body.length === 0) return { body, counts: {} };
  const counts: MaskCounts = {};
  const ctx = { rules, unmask: input.unmask, params: input.info.params, service: input.info.service, patterns: input.patterns, counts };
  const failClosed = rules.length > 0 && !input.unmask;
  const syntax = awsBodySyntax(input.contentType, body);
  if (syntax === undefined) {
    if (failClosed) throw unreadable(what, input.contentType);
    return { body, counts };
  }
  const original = body.toString('utf8');
  let out: string | undefined;
  if (syntax === 'json') out = rewriteJson(original, ctx);
  else if (syntax === 'xml') out = rewriteXml(original, ctx);
  if (out === undefined) {
    if (failClosed) throw unreadable(what, input.contentType);
    out = maskText(original, input.patterns, counts);
  }
  return out === original ? { body, counts } : { body: Buffer.from(out, 'utf8'), counts };
}

/** How a body can be read: by content type, or sniffed when there is none; undefined for binary or non-UTF-8. */
export function awsBodySyntax(contentType: string, body: Buffer): 'json' | 'xml' | 'form' | 'text' | undefined {
  const [mediaType = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (charset !== undefined && !['utf-8', 'utf8', 'us-ascii'].includes(charset)) return undefined;
  if (mediaType === 'application/json' || /^application\/x-amz-json-1\.[01]$/.test(mediaType) || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === 'text/xml' || mediaType === 'application/xml' || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+xml$/.test(mediaType)) return 'xml';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (/^text\/[a-z0-9.+-]+$/.test(mediaType)) return 'text';
  if (mediaType !== '') return undefined;
  const first = /\S/.exec(body.subarray(0, 64).toString('latin1'))?.[0];
  if (first === '{' || first === '[') return 'json';
  if (first === '<') return 'xml';
  return isUtf8Text(body) ? 'text' : undefined;
}

function unreadable(what: string, contentType: string): UpstreamResponseError {
  return new UpstreamResponseError(
    `Gatehouse could not read ${what} (${contentType.trim().slice(0, 100) || 'no content type'}) to mask the values it carries, and does not pass on what it cannot mask; retry.`,
  );
}
