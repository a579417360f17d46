import { exitCodeOf, gatehouseEndMessage, readClientMessage, readServerMessage, relayableProtocols } from '../../../lambdas/core/remote-command';
import { execOptionsOf } from '../../../lambdas/core/session-recording';

const frame = (...bytes: Array<number | string>) => Buffer.concat(bytes.map((b) => (typeof b === 'number' ? Buffer.from([b]) : Buffer.from(b))));

describe('relayableProtocols', () => {
  it.each([
    ['kubectl 1.35 exec', ['v5.channel.k8s.io'], 'exec', ['v5.channel.k8s.io']],
    ['a list in one header, in the client\'s order', ['v4.channel.k8s.io, v5.channel.k8s.io'], 'exec', ['v4.channel.k8s.io', 'v5.channel.k8s.io']],
    ['repeated headers', ['channel.k8s.io', 'v5.channel.k8s.io'], 'attach', ['v5.channel.k8s.io']],
    ['the base64 and v1 protocols, which Gatehouse does not relay', ['base64.channel.k8s.io', 'channel.k8s.io'], 'exec', []],
    ['port-forward as kubectl 1.31+ tunnels it', ['SPDY/3.1+portforward.k8s.io'], 'portforward', ['SPDY/3.1+portforward.k8s.io']],
    ['an exec protocol offered for port-forward', ['v5.channel.k8s.io'], 'portforward', []],
    ['nothing offered', [], 'exec', []],
  ])('keeps what Gatehouse can relay: %s', (_case, offered, subresource, expected) => {
    expect(relayableProtocols(offered, subresource)).toEqual(expected);
  });
});

describe('readClientMessage', () => {
  it.each([
    ['stdin', frame(0, 'ls\n'), 'v5.channel.k8s.io', { ok: true, channel: 'stdin', data: Buffer.from('ls\n') }],
    ['a resize', frame(4, '{"Width":80,"Height":24}'), 'v4.channel.k8s.io', { ok: true, channel: 'resize', data: Buffer.from('{"Width":80,"Height":24}') }],
    ['a v5 close of stdin', frame(255, 0), 'v5.channel.k8s.io', { ok: true, channel: 'stdin', data: Buffer.alloc(0), close: true }],
  ])('relays %s', (_case, message, protocol, expected) => {
    expect(readClientMessage(message, protocol)).toEqual(expected);
  });

  it.each([
    ['an empty message', Buffer.alloc(0), 'v5.channel.k8s.io', /empty message/],
    ['a frame on stdout', frame(1, 'x'), 'v5.channel.k8s.io', /channel 1, which a client may not write/],
    ['a frame on the error channel', frame(3, '{}'), 'v5.channel.k8s.io', /channel 3/],
    ['a channel that does not exist', frame(9, 'x'), 'v5.channel.k8s.io', /channel 9/],
    ['a close on v4, which has no close channel', frame(255, 0), 'v4.channel.k8s.io', /has no close channel/],
    ['a close of stdout', frame(255, 1), 'v5.channel.k8s.io', /close of channel 1/],
    ['a close naming two channels', frame(255, 0, 1), 'v5.channel.k8s.io', /exactly one channel/],
  ])('refuses %s', (_case, message, protocol, problem) => {
    const read = readClientMessage(message, protocol);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.problem).toMatch(problem);
  });
});

describe('readServerMessage', () => {
  it.each([
    [frame(1, 'out'), { channel: 'stdout', close: false, data: Buffer.from('out') }],
    [frame(2, 'err'), { channel: 'stderr', close: false, data: Buffer.from('err') }],
    [frame(3, '{"status":"Success"}'), { channel: 'error', close: false, data: Buffer.from('{"status":"Success"}') }],
    [frame(255, 1), { channel: 'stdout', close: true, data: Buffer.alloc(0) }],
    [frame(7, 'x'), { channel: undefined, close: false, data: Buffer.from('x') }],
  ])('reads the channel of %j', (message, expected) => {
    expect(readServerMessage(message)).toEqual(expected);
  });
});

describe('exitCodeOf', () => {
  const nonZero = (code: string) => JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: `command terminated with non-zero exit code: error executing command [sh -c exit ${code}], exit code ${code}`, details: { causes: [{ reason: 'ExitCode', message: code }] } });
  it.each([
    ['success', JSON.stringify({ metadata: {}, status: 'Success' }), 0],
    ['exit 3', nonZero('3'), 3],
    ['exit 255', nonZero('255'), 255],
    ['a code past 255', nonZero('256'), undefined],
    ['a code that is not a number', nonZero('three'), undefined],
    ['another failure (no such container)', JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'container not found' }), undefined],
    ['no Status at all', 'not json', undefined],
    ['nothing', '', undefined],
  ])('reads %s', (_case, text, expected) => {
    expect(exitCodeOf(text)).toBe(expected);
  });
});

describe('gatehouseEndMessage', () => {
  it('writes a Failure Status on the error channel, which kubectl prints', () => {
    const message = gatehouseEndMessage('the grant was revoked');
    expect(message[0]).toBe(3);
    expect(JSON.parse(message.subarray(1).toString('utf8'))).toMatchObject({ kind: 'Status', status: 'Failure', message: 'the grant was revoked', code: 403 });
  });
});

describe('execOptionsOf', () => {
  it.each([
    ['command=sh&command=-c&command=echo%20hi&container=app&stdin=true&tty=true', { command: ['sh', '-c', 'echo hi'], container: 'app', tty: true, stdin: true }],
    ['command=ls', { command: ['ls'], tty: false, stdin: false }],
    // As the server's query conversion: only "0" and "false" (any case) are false; a bare flag is true.
    ['command=ls&tty=&stdin=yes', { command: ['ls'], tty: true, stdin: true }],
    ['command=ls&tty=FALSE&stdin=0', { command: ['ls'], tty: false, stdin: false }],
  ])('reads %s as the server decodes PodExecOptions', (query, expected) => {
    expect(execOptionsOf(new URLSearchParams(query))).toEqual(expected);
  });
});
