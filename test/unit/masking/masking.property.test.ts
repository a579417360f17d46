import fc from 'fast-check';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import type { RequestInfo } from '../../../lambdas/core/request-info';
import { request, secret, table } from './masking-fixtures';

/** A credential as placed in a response: how it reads in free text, optionally the key that announces it, and what must never come out. */
interface Credential {
  readonly text: string;
  readonly key?: string;
  readonly value: string;
  readonly needles: readonly string[];
}

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const UPPER_NUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const chars = (set: string[], min: number, max = min) => fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });
const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const plain = (value: string): Credential => ({ text: value, value, needles: [value] });

const awsKeyId = fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_NUM, 16)).map(([p, s]) => plain(p + s));
const jwt = fc
  .record({ alg: fc.constantFrom('RS256', 'ES256', 'HS256', 'EdDSA'), kid: chars(ALNUM, 4, 12), sub: fc.string({ minLength: 1, maxLength: 40 }), iat: fc.nat(), sig: fc.uint8Array({ minLength: 16, maxLength: 96 }) })
  .map(({ alg, kid, sub, iat, sig }) => plain(`${b64url(JSON.stringify({ alg, typ: 'JWT', kid }))}.${b64url(JSON.stringify({ sub, iat, aud: 'gatehouse' }))}.${b64url(sig)}`));
const githubToken = fc.oneof(
  fc.tuple(fc.constantFrom('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'), chars(ALNUM, 36)).map(([p, s]) => plain(p + s)),
  fc.tuple(chars(ALNUM, 22), chars(ALNUM, 59)).map(([a, b]) => plain(`github_pat_${a}_${b}`)),
);
const gitlabToken = chars([...ALNUM, '_', '-'], 20, 40).map((s) => plain(`glpat-${s}`));
const slackToken = fc.tuple(fc.constantFrom('a', 'b', 'p', 'r', 's'), chars([...'0123456789'], 10, 13), chars(ALNUM, 12, 32)).map(([t, n, s]) => plain(`xox${t}-${n}-${s}`));
const pemKey = fc.tuple(fc.constantFrom('RSA ', 'EC ', '', 'OPENSSH ', 'ENCRYPTED '), fc.uint8Array({ minLength: 48, maxLength: 400 })).map(([label, bytes]) => {
  const lines = Buffer.from(bytes).toString('base64').match(/.{1,64}/g) as string[];
  const text = [`-----BEGIN ${label}PRIVATE KEY-----`, ...lines, `-----END ${label}PRIVATE KEY-----`].join('\n');
  return { text, value: text, needles: lines.filter((l) => l.length >= 16) };
});
const connectionPassword = fc.tuple(fc.constantFrom('postgres', 'mysql', 'mongodb+srv', 'redis', 'amqps'), chars(ALNUM, 3, 10), chars([...ALNUM, '%', '!', '$', '-'], 12, 32))
  .map(([scheme, user, pw]) => ({ text: `${scheme}://${user}:${pw}@db.internal:5432/app`, value: `${scheme}://${user}:${pw}@db.internal:5432/app`, needles: [pw] }));
const namedSecret = fc.tuple(fc.constantFrom('DB_PASSWORD', 'apiKey', 'client_secret', 'ACCESS_TOKEN', 'private_key', 'x-api-key', 'SLACK_BOT_TOKEN'), chars(ALNUM, 12, 40))
  .map(([key, value]): Credential => ({ text: `${key}=${value}`, key, value, needles: [value] }));

const credential = fc.oneof(awsKeyId, jwt, githubToken, gitlabToken, slackToken, pemKey, connectionPassword, namedSecret);

/** Places a credential in an object the way real workloads carry them. */
const carriers: Record<string, (c: Credential) => Record<string, unknown>> = {
  configMapValue: (c) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg', namespace: 'shop' }, data: c.key ? { [c.key]: c.value } : { config: c.text } }),
  configMapFile: (c) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg', namespace: 'shop' }, data: { 'app.env': `LOG_LEVEL=info\n${c.text}\nPORT=8080\n` } }),
  podEnv: (c) => ({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'app:1', env: [c.key ? { name: c.key, value: c.value } : { name: 'CONFIG', value: c.text }] }] } }),
  annotation: (c) => ({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd', namespace: 'shop', annotations: c.key ? { [`example.com/${c.key}`]: c.value } : { 'example.com/note': `deployed with ${c.text}` } } }),
};

/** Wraps an object in each response shape the API returns for a resource. */
function shapes(obj: Record<string, unknown>, kind: string): Record<string, { body: string; verb: string; contentType: string }> {
  const withLastApplied = { ...obj, metadata: { ...(obj.metadata as object), annotations: { ...((obj.metadata as { annotations?: object }).annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(obj)}\n` } } };
  const noKind = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'kind' && k !== 'apiVersion'));
  return {
    single: { body: JSON.stringify(obj), verb: 'get', contentType: 'application/json' },
    list: { body: JSON.stringify({ kind: `${kind}List`, apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [noKind] }), verb: 'list', contentType: 'application/json' },
    table: { body: JSON.stringify(table([obj], [[String((obj.metadata as { name: string }).name)]])), verb: 'list', contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    watch: { body: `${JSON.stringify({ type: 'ADDED', object: obj })}\n${JSON.stringify({ type: 'MODIFIED', object: obj })}\n`, verb: 'watch', contentType: 'application/json;stream=watch' },
    lastApplied: { body: JSON.stringify(withLastApplied), verb: 'get', contentType: 'application/json' },
  };
}

function assertNoneSurvive(out: Buffer, needles: readonly string[]): void {
  const text = out.toString('utf8');
  for (const n of needles) {
    expect(text).not.toContain(n);
    expect(text).not.toContain(Buffer.from(n).toString('base64'));
  }
}

const resourceOf: Record<string, [string, string]> = { configMapValue: ['configmaps', 'ConfigMap'], configMapFile: ['configmaps', 'ConfigMap'], podEnv: ['pods', 'Pod'], annotation: ['deployments', 'Deployment'] };

describe('masking (property)', () => {
  it('lets no generated Secret value (or its base64) through, in any response shape', () => {
    const secretValue = fc.oneof(chars(ALNUM, 12, 64), fc.string({ minLength: 12, maxLength: 64 }).filter((s) => s.trim().length >= 12 && !s.includes('*')));
    fc.assert(
      fc.property(fc.dictionary(chars([...'abcdefghijklmnopqrstuvwxyz_.-'], 1, 16), secretValue, { minKeys: 1, maxKeys: 5 }), fc.boolean(), (values, withKind) => {
        const s = secret('db', values, withKind);
        for (const [shape, { body, verb, contentType }] of Object.entries(shapes(s, 'Secret'))) {
          const req: RequestInfo = request('secrets', verb);
          const out = maskResponse({ body: Buffer.from(body), contentType, request: req, unmaskSecrets: false });
          try {
            assertNoneSurvive(out.body, Object.values(values));
          } catch (e) {
            throw new Error(`shape ${shape}: ${(e as Error).message}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('lets no generated credential through, in any carrier, any response shape, or a log', () => {
    fc.assert(
      fc.property(credential, fc.constantFrom(...Object.keys(carriers)), fc.string({ maxLength: 30 }).map((s) => s.replace(/[\w-]/g, ' ')), (cred, carrier, noise) => {
        const [resource, kind] = resourceOf[carrier];
        for (const [shape, { body, verb, contentType }] of Object.entries(shapes(carriers[carrier](cred), kind))) {
          const out = maskResponse({ body: Buffer.from(body), contentType, request: request(resource, verb), unmaskSecrets: false });
          try {
            assertNoneSurvive(out.body, cred.needles);
          } catch (e) {
            throw new Error(`${carrier} as ${shape}: ${(e as Error).message}`);
          }
        }
        const log = `2025-01-01T00:00:00Z INFO boot${noise}\n2025-01-01T00:00:01Z DEBUG config ${cred.text}${noise}\n`;
        const out = maskResponse({ body: Buffer.from(log), contentType: 'text/plain; charset=utf-8', request: request('pods', 'get', { subresource: 'log' }), unmaskSecrets: false });
        assertNoneSurvive(out.body, cred.needles);
      }),
      { numRuns: 300 },
    );
  });
});
