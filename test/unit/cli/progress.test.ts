import { withProgress } from '../../../cli/io';
import { fakeIo } from './fake-io';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withProgress', () => {
  it('shows a spinner with the latest label on a terminal once the work takes longer than the delay, then clears it', async () => {
    const io = fakeIo({ tty: true });

    const result = await withProgress(io, 'Reading records', async (update) => {
      await wait(40);
      update('Reading records (12)');
      await wait(40);
      return 42;
    }, { delayMs: 20, intervalMs: 10 });

    expect(result).toBe(42);
    expect(io.err()).toContain('Reading records (12)…');
    expect(io.err().endsWith('\r\u001b[K')).toBe(true);
  });

  it('shows nothing for quick work', async () => {
    const io = fakeIo({ tty: true });

    await withProgress(io, 'Reading', async () => 1, { delayMs: 50 });

    expect(io.err()).toBe('');
  });

  it('never writes progress when stderr is not a terminal (scripts)', async () => {
    const io = fakeIo({ tty: false });

    await withProgress(io, 'Reading', () => wait(40), { delayMs: 5, intervalMs: 5 });

    expect(io.err()).toBe('');
  });
});
