import { once } from 'node:events';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createFrontCertificates, type FrontCertificates } from '../../../lambdas/session-front-ca/front-certificates';
import { handleCertificateEvent } from '../../../lambdas/session-front-ca/handler';

const DNS = 'Test-Sessi-1A2B3C4D5E6F-0123456789abcdef.elb.eu-west-1.amazonaws.com';
const NOW = new Date('2026-12-02T06:00:00Z');

describe('createFrontCertificates', () => {
  let issued: FrontCertificates;
  beforeAll(() => {
    issued = createFrontCertificates({ dnsName: DNS, now: NOW, validityDays: 30 });
  });

  it('issues a server certificate that verifies against the CA, for the DNS name only', () => {
    const ca = new X509Certificate(issued.caPem);
    const cert = new X509Certificate(issued.certPem);

    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subjectAltName).toBe(`DNS:${DNS.toLowerCase()}`);
    expect(cert.checkHost(DNS.toLowerCase())).toBe(DNS.toLowerCase());
    expect(cert.checkHost('evil.example.com')).toBeUndefined();
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extended key usage: serverAuth
  });

  it('makes the CA a CA that can sign nothing below the server certificate', () => {
    const ca = new X509Certificate(issued.caPem);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toContain('CN=Gatehouse session front CA');
    expect(ca.checkIssued(new X509Certificate(issued.certPem))).toBe(false);
  });

  it('pairs the key with the server certificate and returns no CA key', () => {
    const key = createPrivateKey(issued.keyPem);
    const cert = new X509Certificate(issued.certPem);
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' })).toEqual(cert.publicKey.export({ type: 'spki', format: 'der' }));
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(new X509Certificate(issued.caPem).checkPrivateKey(key)).toBe(false);
    expect(Object.keys(issued).sort()).toEqual(['caPem', 'certPem', 'fingerprint', 'keyPem']);
  });

  it('is valid from five minutes before now for the given days, and fingerprints the server certificate', () => {
    const cert = new X509Certificate(issued.certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe('2026-12-02T05:55:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2027-01-01T06:00:00.000Z');
    expect(issued.fingerprint).toBe(createHash('sha256').update(cert.raw).digest('hex'));
  });

  it('issues a new CA every time', () => {
    const again = createFrontCertificates({ dnsName: DNS, now: NOW, validityDays: 30 });
    expect(again.caPem).not.toBe(issued.caPem);
    expect(new X509Certificate(again.certPem).verify(new X509Certificate(issued.caPem).publicKey)).toBe(false);
  });

  it.each(['', 'bad name.example.com', 'trailing.dot.', `${'a'.repeat(64)}.example.com`])('refuses the DNS name %j', (dnsName) => {
    expect(() => createFrontCertificates({ dnsName })).toThrow('is not a DNS name');
  });

  it('refuses a validity outside 1 to 3650 days', () => {
    expect(() => createFrontCertificates({ dnsName: DNS, validityDays: 0 })).toThrow('validityDays must be an integer from 1 to 3650, got 0');
  });

  it('serves TLS that a client trusting only the CA accepts for the name', async () => {
    const host = 'front.test';
    const local = createFrontCertificates({ dnsName: host });
    const server: Server = createServer({ cert: local.certPem, key: local.keyPem }, (_, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = (ca: string, servername: string) => new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, servername, ca, path: '/healthz' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve(body));
      });
      req.on('error', reject).end();
    });
    try {
      await expect(get(local.caPem, host)).resolves.toBe('ok');
      await expect(get(local.caPem, 'other.test')).rejects.toThrow(/altnames/);
      await expect(get(issued.caPem, host)).rejects.toThrow(/certificate/);
    } finally {
      server.close();
    }
  });
});

describe('handleCertificateEvent', () => {
  const event = (requestType: 'Create' | 'Update' | 'Delete', props: Record<string, string> = {}): CloudFormationCustomResourceEvent => ({
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:ca',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/x',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Test/1',
    RequestId: 'req-1',
    LogicalResourceId: 'Certificate',
    ResourceType: 'Custom::GatehouseSessionFrontCertificate',
    ResourceProperties: { ServiceToken: 'x', SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls-AbCdEf', DnsName: 'front.test', ValidityDays: '90', ...props },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'Certificate-session-front-tls', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent);

  it('stores cert and key in the secret and returns the CA and the fingerprint', async () => {
    const puts: [string, string][] = [];
    const response = await handleCertificateEvent(event('Create'), { putSecret: async (arn, value) => void puts.push([arn, value]) });

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Certificate-session-front-tls', RequestId: 'req-1', LogicalResourceId: 'Certificate' });
    expect(puts).toHaveLength(1);
    expect(puts[0]![0]).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls-AbCdEf');
    const stored = JSON.parse(puts[0]![1]) as { certPem: string; keyPem: string };
    expect(Object.keys(stored).sort()).toEqual(['certPem', 'keyPem']);
    const cert = new X509Certificate(stored.certPem);
    expect(cert.verify(new X509Certificate(response.Data!.CaPem).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:front.test');
    expect(response.Data!.Fingerprint).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000)).toBe(90);
  });

  it('issues again on update and keeps the physical id', async () => {
    let dnsName = '';
    const response = await handleCertificateEvent(event('Update', { DnsName: 'new.test' }), {
      putSecret: async () => undefined,
      issue: (name) => { dnsName = name; return { caPem: 'CA', certPem: 'C', keyPem: 'K', fingerprint: 'F' }; },
    });
    expect(dnsName).toBe('new.test');
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Certificate-session-front-tls', Data: { CaPem: 'CA', Fingerprint: 'F' } });
  });

  it('does nothing on delete', async () => {
    const putSecret = jest.fn();
    const response = await handleCertificateEvent(event('Delete'), { putSecret });
    expect(putSecret).not.toHaveBeenCalled();
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Certificate-session-front-tls' });
  });

  it('fails the resource, with the reason, when the secret cannot be written', async () => {
    const response = await handleCertificateEvent(event('Create'), {
      putSecret: async () => { throw new Error('AccessDeniedException: not allowed'); },
      issue: () => ({ caPem: 'CA', certPem: 'C', keyPem: 'K', fingerprint: 'F' }),
    });
    expect(response).toMatchObject({ Status: 'FAILED', Reason: 'Session front certificate: AccessDeniedException: not allowed' });
    expect(response.Data).toBeUndefined();
  });

  it('fails without a DNS name', async () => {
    const response = await handleCertificateEvent(event('Create', { DnsName: '' }), { putSecret: async () => undefined });
    expect(response).toMatchObject({ Status: 'FAILED', Reason: 'Session front certificate: SecretArn and DnsName are required' });
  });
});
