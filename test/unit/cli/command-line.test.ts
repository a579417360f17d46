import { parseCommandLine } from '../../../cli/command';
import { EXIT } from '../../../cli/errors';
import { COMMANDS, main } from '../../../cli/main';
import { fakeIo } from './fake-io';

const everyCommand = COMMANDS.flatMap((t) => ('commands' in t ? t.commands.map((c) => [t.name, c.name]) : [[t.name]]));

describe('the command line', () => {
  it.each(everyCommand)('prints help for %s %s and exits 0', async (...words) => {
    const io = fakeIo();

    const code = await main([...words.filter(Boolean), '--help'], { io });

    expect(code).toBe(EXIT.ok);
    expect(io.out()).toMatch(new RegExp(`^gatehouse ${words.filter(Boolean).join(' ')}: `));
    expect(io.out()).toMatch(/Usage: gatehouse /);
    expect(io.out()).toMatch(/--stack <name>/);
  });

  it.each([[['--help']], [[]], [['help']], [['grants']], [['grants', '--help']], [['help', 'replay']]])('prints help for %j', async (argv) => {
    const io = fakeIo();

    expect(await main(argv, { io })).toBe(EXIT.ok);
    expect(io.out()).toMatch(/Usage: gatehouse/);
  });

  it.each<[string[], RegExp]>([
    [['nope'], /Unknown command "nope"/],
    [['grants', 'nope'], /Unknown command "gatehouse grants nope"/],
    [['grants', 'add', '--bogus'], /Unknown option '--bogus'.*gatehouse grants add --help/],
    [['--bogus', 'grants', 'list'], /Unknown option --bogus before the command/],
    [['sessions', 'show'], /Usage: gatehouse sessions show <request-id>/],
    [['grants', '--local'], /needs a subcommand: add, list, revoke/],
    [['replay', '--since', 'soon', '--local', 'x/y'], /not a duration/],
  ])('refuses %j with exit code 1 and a hint', async (argv, message) => {
    const io = fakeIo({ env: { GATEHOUSE_LOCAL: '1' }, cwd: '/nonexistent' });

    const code = await main(argv, { io });

    expect(code).toBe(EXIT.usage);
    expect(io.err()).toMatch(message);
  });

  it('accepts target options before the command and after it', () => {
    const before = parseCommandLine(['--stack', 'Gatehouse', '--json', 'grants', 'list', '--connection', 'prod'], COMMANDS);
    const after = parseCommandLine(['grants', 'list', '--connection=prod', '--stack', 'Gatehouse', '--json'], COMMANDS);

    for (const parsed of [before, after]) {
      expect(parsed).toMatchObject({ words: ['grants', 'list'], values: { stack: 'Gatehouse', json: true, connection: 'prod' } });
    }
  });

  it('reaches the same kubeconfig command at the top level and under connections', () => {
    expect(parseCommandLine(['kubeconfig', '--connection', 'demo'], COMMANDS)).toMatchObject({ words: ['kubeconfig'] });
    expect(parseCommandLine(['connections', 'kubeconfig', '--connection', 'demo'], COMMANDS)).toMatchObject({ words: ['connections', 'kubeconfig'] });
  });
});

describe('errors that say what to do', () => {
  it('asks for a target when none is given (exit 3)', async () => {
    const io = fakeIo();

    expect(await main(['sessions', 'list'], { io })).toBe(EXIT.target);
    expect(io.err()).toMatch(/--stack <name>.*--local/);
  });

  it('says local mode is not running when its state dir has no endpoints file (exit 3)', async () => {
    const io = fakeIo({ cwd: '/tmp' });

    expect(await main(['--local', '--state-dir', 'no-such-gatehouse-dir', 'grants', 'list'], { io })).toBe(EXIT.target);
    expect(io.err()).toMatch(/Local mode is not running here.*npm run local/);
  });

  it('also prints the error as JSON for scripts with --json', async () => {
    const io = fakeIo();

    await main(['sessions', 'list', '--json'], { io });

    const last = io.err().trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ error: { kind: 'TargetError', exitCode: EXIT.target } });
  });
});
