import { uriEscape } from '../sigv4';
import { MASKED_VALUE } from './credential-patterns';
import { MASKED_BASE64 } from './mask-json-value';
import {
  AWS_MASK_COUNTS, AwsMaskRule, awsBodySyntax, AwsRuleTable, maskAwsBody, MaskAwsInput, MaskAwsResult,
  Marker, rulesFor, SECRET_VALUE_RULE,
} from './mask-aws-response';
import { maskAwsString, maskedBy } from './mask-aws-body';
import { maskText } from './mask-text';

/**
 * Masking of what an agent sent, for the replay blob of its call: the values a call exists to set (a secret's
 * value, a SecureString parameter, a function's environment, KMS plaintext, a password) and credential patterns
 * everywhere else, with the same markers and counts as answers get.
 */

const C = AWS_MASK_COUNTS;
const text = (count: string): Marker => ({ marker: MASKED_VALUE, count });

/** What each action's request body carries in clear. An unknown action ('') gets every rule of its service. */
const REQUEST_RULES: AwsRuleTable = {
  secretsmanager: [[['CreateSecret', 'PutSecretValue', 'UpdateSecret'], SECRET_VALUE_RULE]],
  // A PutParameter without Type overwrites a parameter whose type the body does not tell: masked like a SecureString.
  ssm: [[['PutParameter'], { kind: 'ssm-parameters', typeless: 'mask' }]],
  lambda: [[['CreateFunction', 'UpdateFunctionConfiguration'], { kind: 'lambda-environment' }]],
  kms: [[['Encrypt', 'ReEncrypt'], { kind: 'fields', fields: { Plaintext: { marker: MASKED_BASE64, count: C.kmsPlaintext } } }]],
  iam: [[['CreateLoginProfile', 'UpdateLoginProfile', 'ChangePassword'], {
    kind: 'fields', fields: { Password: text(C.password), NewPassword: text(C.password), OldPassword: text(C.password) },
  }]],
  sts: [
    [['AssumeRoleWithSAML'], { kind: 'fields', fields: { SAMLAssertion: text(C.identityToken) } }],
    [['AssumeRoleWithWebIdentity'], { kind: 'fields', fields: { WebIdentityToken: text(C.identityToken) } }],
  ],
};

/**
 * Masks the body of a call as the agent sent it (JSON, the query protocol's form, XML or text). `status` is
 * ignored. Form bodies are rewritten pair by pair (only changed values re-encoded); the rest as in
 * `maskAwsResponse`, which also fails closed here: a call with values to mask whose body cannot be read throws
 * UpstreamResponseError unless `unmask`, rather than storing it.
 */
export function maskAwsRequestBody(input: MaskAwsInput): MaskAwsResult {
  const rules = rulesFor(REQUEST_RULES, input.info);
  if (input.body.length > 0 && awsBodySyntax(input.contentType, input.body) === 'form') {
    const counts = {};
    const original = input.body.toString('utf8');
    const out = rewriteForm(original, rules, input, counts);
    return out === original ? { body: input.body, counts } : { body: Buffer.from(out, 'utf8'), counts };
  }
  return maskAwsBody(input, rules, 'the call\'s body');
}

/** `a=b&c=d` as the query protocol sends it: each value decoded (`+` is a space), masked, re-encoded if changed. */
function rewriteForm(body: string, rules: readonly AwsMaskRule[], input: MaskAwsInput, counts: Record<string, number>): string {
  const fields = new Map<string, Marker>();
  for (const rule of rules) if (rule.kind === 'fields') for (const [name, marker] of Object.entries(rule.fields)) fields.set(name, marker);
  return body.split('&').map((part) => {
    const eq = part.indexOf('=');
    const key = decodeForm(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? undefined : decodeForm(part.slice(eq + 1));
    if (key === undefined || (eq >= 0 && value === undefined)) return maskText(part, input.patterns, counts);
    if (value === undefined) return part;
    const marker = fields.get(key);
    let masked: string;
    if (marker) masked = input.unmask ? value : maskedBy(value, marker, counts);
    // `Tags.member.1.Value`: the last segment is the member's own name.
    else masked = maskAwsString(value, key.slice(key.lastIndexOf('.') + 1), input.patterns, counts);
    return masked === value ? part : `${part.slice(0, eq)}=${uriEscape(masked)}`;
  }).join('&');
}

function decodeForm(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
