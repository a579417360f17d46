import { PodFilesystem } from '../../../local/kube-api-simulator/pod-filesystem';
import { runProcess, type ContainerContext, type ProcessResult } from '../../../local/kube-api-simulator/pod-shell';
import { createArchive, extractArchive } from '../../../local/kube-api-simulator/pod-tar';
import { InputQueue } from '../../../local/kube-api-simulator/process-io';
import { parseInboundFrame, selectProtocol } from '../../../local/kube-api-simulator/remote-command-channels';

// The simulated container's shell, files and tar, without a network in between.

function container(): ContainerContext {
  return {
    fs: new PodFilesystem({ namespace: 'default', pod: 'web-1', container: 'web', image: 'web:1' }),
    hostname: 'web-1',
    env: [['PATH', '/bin'], ['HOSTNAME', 'web-1'], ['GREETING', 'hello world']],
  };
}

async function sh(line: string, ctx = container(), stdin = InputQueue.of()): Promise<{ out: string; err: string; result: ProcessResult }> {
  let out = '';
  let err = '';
  const result = await runProcess(['sh', '-c', line], ctx, {
    stdin, stdout: (d) => (out += d.toString()), stderr: (d) => (err += d.toString()), signal: new AbortController().signal, tty: false, terminalSize: () => undefined,
  });
  return { out, err, result };
}

describe('simulated sh -c', () => {
  it.each([
    ['echo a; echo b', 'a\nb\n', 0],
    ['false && echo no || echo yes', 'yes\n', 0],
    ['true && echo "$GREETING" \'$GREETING\'', 'hello world $GREETING\n', 0],
    ['printf "%s=%d\\n" a 1 b 2', 'a=1\nb=2\n', 0],
    ['X=5; echo ${X}$?', '50\n', 0],
    ['echo $UNSET x "$UNSET" y', 'x  y\n', 0],
    ['exit 7; echo never', '', 7],
    ['cat /etc/hostname | wc -l', '1\n', 0],
    ['echo data > /tmp/f && echo more >> /tmp/f && cat /tmp/f', 'data\nmore\n', 0],
    ['test -d /app && [ -f /app/config.yaml ] && echo both', 'both\n', 0],
    ['cd /app; pwd; ls', '/app\nREADME\nconfig.yaml\n', 0],
    ['hostname; id', 'web-1\nuid=0(root) gid=0(root) groups=0(root)\n', 0],
    ['sh -c "exit 4"; echo $?', '4\n', 0],
  ])('%s', async (line, out, code) => {
    const r = await sh(line);
    expect(r.out).toBe(out);
    expect(r.result).toEqual({ kind: 'exited', code });
  });

  it('reports unknown commands, missing files and syntax errors as busybox sh does', async () => {
    expect(await sh('nope')).toMatchObject({ err: 'sh: nope: not found\n', result: { code: 127 } });
    expect(await sh('cat /missing')).toMatchObject({ err: 'cat: /missing: No such file or directory\n', result: { code: 1 } });
    expect(await sh('echo "open')).toMatchObject({ err: 'sh: syntax error: unterminated quoted string\n', result: { code: 2 } });
    expect(await sh('&& true')).toMatchObject({ result: { code: 2 } });
  });

  it('a bare missing executable is for the runtime to report', async () => {
    const ctx = container();
    const r = await runProcess(['/opt/app/run'], ctx, { stdin: InputQueue.of(), stdout: () => undefined, stderr: () => undefined, signal: new AbortController().signal, tty: false, terminalSize: () => undefined });
    expect(r).toEqual({ kind: 'not-found', executable: '/opt/app/run' });
  });

  it('reads stdin (cat, and tar -x of a tar -c archive), sharing files between runs', async () => {
    const ctx = container();
    expect((await sh('cat', ctx, InputQueue.of('piped\n'))).out).toBe('piped\n');
    const archive = await createArchive(ctx.fs, '/', ['/app']);
    expect(archive.stderr).toBe("tar: Removing leading `/' from member names\n");
    const other = container();
    other.fs.mkdirp('/restore');
    expect((await extractArchive(other.fs, '/restore', archive.stdout)).code).toBe(0);
    expect(other.fs.readFile('/restore/app/config.yaml').toString()).toContain('pod: web-1');
    expect(await extractArchive(other.fs, '/restore', Buffer.from('not a tar'))).toMatchObject({ code: 2 });
    expect(await createArchive(ctx.fs, '/', ['/nowhere'])).toMatchObject({ code: 2, stderr: expect.stringContaining('tar: /nowhere: Cannot stat: No such file or directory') });
  });
});

describe('remote-command framing', () => {
  it('parses frames as wsstream does', () => {
    expect(parseInboundFrame(Buffer.alloc(0), 'v5.channel.k8s.io')).toEqual({ kind: 'ignore' });
    expect(parseInboundFrame(Buffer.from([255, 0]), 'v5.channel.k8s.io')).toEqual({ kind: 'half-close', channel: 0 });
    expect(parseInboundFrame(Buffer.from([255, 0, 1]), 'v5.channel.k8s.io').kind).toBe('fatal');
    expect(parseInboundFrame(Buffer.from([255, 7]), 'v5.channel.k8s.io').kind).toBe('fatal');
    expect(parseInboundFrame(Buffer.from([255, 0]), 'v4.channel.k8s.io')).toEqual({ kind: 'ignore' });
    expect(parseInboundFrame(Buffer.from([0, 65]), 'v4.channel.k8s.io')).toEqual({ kind: 'data', channel: 0, data: Buffer.from('A') });
  });

  it('picks the subprotocol the real path would', () => {
    expect(selectProtocol('v4.channel.k8s.io, v5.channel.k8s.io')).toBe('v5.channel.k8s.io');
    expect(selectProtocol('channel.k8s.io,v4.channel.k8s.io')).toBe('channel.k8s.io');
    expect(selectProtocol(undefined)).toBe('');
    expect(selectProtocol('base64.channel.k8s.io')).toBeUndefined();
  });
});
