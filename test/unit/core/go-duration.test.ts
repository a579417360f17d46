import { parseGoDuration } from '../../../lambdas/core/go-duration';

describe('parseGoDuration', () => {
  it.each<[string, number]>([
    ['30s', 30_000], ['1m30s', 90_000], ['1.5h', 5_400_000], ['500ms', 500], ['250us', 0.25], ['1µs', 0.001], ['1μs', 0.001], ['1000000ns', 1],
    ['-2s', -2000], ['+3m', 180_000], ['0', 0], ['.5s', 500], ['5.s', 5000], ['1h1m1s', 3_661_000], ['0s', 0],
  ])('reads %j as Go does: %p ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each(['', '5', '1hm', '.s', 's', '1 s', '1S', '1d', '2constructor', '-', '1s2', '3000000h'])('refuses %j as Go does', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
