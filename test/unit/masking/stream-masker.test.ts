import { createStreamMasker, type StreamKind } from '../../../lambdas/core/masking/stream-masker';
import type { RequestInfo } from '../../../lambdas/core/request-info';

const request = (resource: string, verb: string, subresource = ''): RequestInfo => ({
  isResourceRequest: true, path: `/api/v1/namespaces/a/${resource}`, verb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1',
  namespace: 'a', resource, subresource, name: subresource ? 'p' : '', parts: [resource],
});

/** Feeds `text` in chunks of `size` bytes and returns everything the masker let out. */
function run(kind: StreamKind, text: string, size: number, req = kind === 'watch' ? request('secrets', 'watch') : request('pods', 'get', 'log')) {
  const masker = createStreamMasker({ kind, contentType: kind === 'watch' ? 'application/json' : 'text/plain', request: req, unmaskSecrets: false });
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(masker.push(bytes.subarray(i, i + size)));
  out.push(masker.end());
  return { text: Buffer.concat(out).toString('utf8'), counts: masker.counts, units: masker.units };
}

const secretEvent = (type: string, value: string) => `${JSON.stringify({ type, object: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { password: Buffer.from(value).toString('base64') } } })}\n`;
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdefghij\nqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n-----END RSA PRIVATE KEY-----\n';

describe('stream masking', () => {
  it.each([1, 7, 64, 4096])('masks every Secret event of a watch cut into %i-byte chunks', (size) => {
    const stream = secretEvent('ADDED', 'hunter2-a') + secretEvent('MODIFIED', 'hunter2-b') + `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Secret', metadata: { resourceVersion: '9' } } })}\n`;
    const result = run('watch', stream, size);
    expect(result.text).not.toContain(Buffer.from('hunter2-a').toString('base64'));
    expect(result.text).not.toContain(Buffer.from('hunter2-b').toString('base64'));
    const events = result.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK']);
    expect(result.counts['secret-data']).toBe(2);
  });

  it.each([1, 5, 13])('masks a credential split across %i-byte chunks of a followed log', (size) => {
    const result = run('lines', `starting\nusing key ${AWS_KEY} now\ndone\n`, size);
    expect(result.text).not.toContain(AWS_KEY);
    expect(result.text).toMatch(/^starting\nusing key .*MASKED.* now\ndone\n$/);
    expect(result.units).toBe(3);
  });

  it.each([3, 40, 1000])('never lets a line of a PEM private key out, in %i-byte chunks', (size) => {
    const result = run('lines', `before\n${PEM}after\n`, size);
    expect(result.text).not.toMatch(/MIIEow|qrstuvwxyz/);
    expect(result.text.startsWith('before\n')).toBe(true);
    expect(result.text.endsWith('after\n')).toBe(true);
  });

  it('masks a PEM key whose stream ends before its END line', () => {
    const result = run('lines', '-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890\n', 8);
    expect(result.text).not.toContain('MIIEow');
  });

  it('masks and sends the last line of a log that ends without a newline', () => {
    expect(run('lines', `a\nkey=${AWS_KEY}`, 4).text).not.toContain(AWS_KEY);
  });

  it('drops and counts a Secret event cut off by the end of the stream', () => {
    const cut = secretEvent('ADDED', 'hunter2-c').slice(0, 60);
    const result = run('watch', secretEvent('ADDED', 'x') + cut, 16);
    expect(result.text.trim().split('\n')).toHaveLength(1);
    expect(result.counts['unparseable-dropped']).toBe(1);
  });

  it('does not hold a line longer than the limit back forever', () => {
    const masker = createStreamMasker({ kind: 'lines', contentType: 'text/plain', request: request('pods', 'get', 'log'), unmaskSecrets: false, maxUnitBytes: 100 });
    const out = masker.push(Buffer.from('x'.repeat(150)));
    expect(out.length).toBe(150);
  });
});

describe('stream masking: limits and unit boundaries', () => {
  const lines = (options: { maxPemLines?: number; maxUnitBytes?: number } = {}) =>
    createStreamMasker({ kind: 'lines', contentType: 'text/plain', request: request('pods', 'get', 'log'), unmaskSecrets: false, ...options });

  it('sends a PEM key without an END line, masked, once it reaches the line limit', () => {
    // Arrange
    const masker = lines({ maxPemLines: 3 });
    // Act
    const out = masker.push(Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890\nqrstuvwxyzABCDEFGHIJ\n'));
    // Assert
    expect(out.toString()).toBe('***MASKED***');
    expect(masker.end().toString()).toBe('');
  });

  it('sends the held PEM lines, masked, when the stream ends inside the key', () => {
    const result = run('lines', 'before\n-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890\n', 8);
    expect(result.text).toBe('before\n***MASKED***');
  });

  it('does not hold a truncated PEM key in a watch event: each event is one line, masked at once', () => {
    const masker = createStreamMasker({ kind: 'watch', contentType: 'application/json', request: request('configmaps', 'watch'), unmaskSecrets: false });
    const event = `${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', data: { key: '-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890' } } })}\n`;
    const out = masker.push(Buffer.from(event)).toString();
    expect(out).toContain('"key":"***MASKED***"');
  });

  it('passes empty lines as units of their own, at once', () => {
    const masker = lines();
    const out = masker.push(Buffer.from('\n\nready\n'));
    expect(out.toString()).toBe('\n\nready\n');
    expect(masker.units).toBe(3);
  });

  it('holds a line exactly as long as the limit until its newline comes', () => {
    const masker = lines({ maxUnitBytes: 8 });
    expect(masker.push(Buffer.from('abcdefgh')).toString()).toBe('');
    expect(masker.push(Buffer.from('ij\n')).toString()).toBe('abcdefghij\n');
    expect(masker.units).toBe(1);
  });
});
