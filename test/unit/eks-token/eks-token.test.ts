import { NodeSha256 } from '../../support/node-sha256';
// The SDK's own signer, used only here as the reference for what the token URL must carry.
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/core/protocols';
import { decodeEksTokenUrl, mintEksToken, stsHostForRegion } from '../../../lambdas/core/eks-token';
import { verifyPresignedUrl } from '../../../lambdas/core/sigv4';

const Sha256 = NodeSha256;

const NOW = new Date('2026-05-06T07:08:09.999Z');
const CREDENTIALS = { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'secret/key+example', sessionToken: 'FwoGZXIvYXdz+/session==token' };

const urlOf = (token: string): URL => new URL(decodeEksTokenUrl(token) ?? 'invalid:');

describe('mintEksToken', () => {
  it('encodes the presigned GetCallerIdentity URL that aws eks get-token prints', () => {
    const { token, expiresAt } = mintEksToken({ credentials: CREDENTIALS, clusterName: 'prod-east', region: 'us-west-2', now: NOW });

    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = urlOf(token);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://sts.us-west-2.amazonaws.com/');
    expect([...url.searchParams.keys()]).toEqual([
      'Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
      'X-Amz-SignedHeaders', 'X-Amz-Security-Token', 'X-Amz-Signature',
    ]);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'ASIAEXAMPLE000000001/20260506/us-west-2/sts/aws4_request',
      'X-Amz-Date': '20260506T070809Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': CREDENTIALS.sessionToken,
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(expiresAt.toISOString()).toBe('2026-05-06T07:22:09.000Z');
  });

  it('signs what the SDK signer signs for the same request', async () => {
    const { token } = mintEksToken({ credentials: CREDENTIALS, clusterName: 'prod-east', region: 'us-west-2', now: NOW });
    const sdk = new SignatureV4({ credentials: CREDENTIALS, region: 'us-west-2', service: 'sts', sha256: Sha256 });
    const host = 'sts.us-west-2.amazonaws.com';

    const reference = await sdk.presign(new HttpRequest({
      method: 'GET', protocol: 'https:', hostname: host, path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host, 'x-k8s-aws-id': 'prod-east' },
    }), { signingDate: NOW, expiresIn: 60 });

    expect(Object.fromEntries(urlOf(token).searchParams)).toEqual(reference.query);
  });

  it('is verifiable only with the cluster name it was minted for', () => {
    const { token } = mintEksToken({ credentials: CREDENTIALS, clusterName: 'prod-east', region: 'eu-west-1', now: NOW });
    const url = urlOf(token);
    const received = (cluster: string) => ({ method: 'GET', path: '/', query: url.search.slice(1), headers: { host: url.host, 'x-k8s-aws-id': cluster } });
    const opts = { lookupSecret: () => CREDENTIALS.secretAccessKey, service: 'sts', region: 'eu-west-1', now: NOW, maxAgeSeconds: 900 };

    expect(verifyPresignedUrl(received('prod-east'), opts)).toMatchObject({ ok: true });
    expect(verifyPresignedUrl(received('prod-west'), opts)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('leaves X-Amz-Security-Token out for long-term credentials', () => {
    const { token } = mintEksToken({ credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's' }, clusterName: 'c', region: 'us-east-1', now: NOW });

    expect(urlOf(token).searchParams.has('X-Amz-Security-Token')).toBe(false);
  });
});

describe('stsHostForRegion', () => {
  it.each([
    ['us-east-1', 'sts.us-east-1.amazonaws.com'],
    ['eu-central-2', 'sts.eu-central-2.amazonaws.com'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'sts.cn-northwest-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com'],
    ['us-iso-east-1', 'sts.us-iso-east-1.c2s.ic.gov'],
    ['us-isob-east-1', 'sts.us-isob-east-1.sc2s.sgov.gov'],
    ['us-isof-south-1', 'sts.us-isof-south-1.csp.hci.ic.gov'],
    ['eu-isoe-west-1', 'sts.eu-isoe-west-1.cloud.adc-e.uk'],
  ])('uses the regional endpoint of %s', (region, host) => {
    expect(stsHostForRegion(region)).toBe(host);
  });

  it.each(['', 'us_east_1', '-us-east-1', 'us-east-1.evil.com'])('refuses the region %p', (region) => {
    expect(() => stsHostForRegion(region)).toThrow('invalid region');
  });
});

describe('decodeEksTokenUrl', () => {
  const body = Buffer.from('https://sts.us-east-1.amazonaws.com/?a', 'utf8').toString('base64url');

  it('decodes unpadded base64url', () => {
    expect(decodeEksTokenUrl(`k8s-aws-v1.${body}`)).toBe('https://sts.us-east-1.amazonaws.com/?a');
  });

  it.each([
    ['padding', `k8s-aws-v1.${body}==`],
    ['the standard alphabet', `k8s-aws-v1.${body.replace(/_/g, '/')}+`],
    ['whitespace', `k8s-aws-v1.${body.slice(0, 4)}\n${body.slice(4)}`],
    ['an impossible length', 'k8s-aws-v1.QUJDR'],
    ['non-zero trailing bits', 'k8s-aws-v1.QR'],
    ['another prefix', `k8s-aws-v2.${body}`],
  ])('refuses %s', (_name, token) => {
    expect(decodeEksTokenUrl(token)).toBeUndefined();
  });
});
