import { randomBytes } from 'node:crypto';
import { decodeZ85, encodeZ85 } from '../../../lambdas/core/z85';

describe('Z85', () => {
  it('encodes the ZeroMQ RFC 32 test vector', () => {
    // Arrange
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    // Act / Assert
    expect(encodeZ85(bytes)).toBe('HelloWorld');
    expect(decodeZ85('HelloWorld', 8)).toEqual(bytes);
  });

  it.each([0, 1, 2, 3, 4, 5, 1023, 4096])('gives back %i random bytes as they were', (n) => {
    const bytes = randomBytes(n);
    const text = encodeZ85(bytes);
    expect(text.length).toBe(Math.ceil(n / 4) * 5);
    expect(decodeZ85(text, n)).toEqual(bytes);
  });

  it('never writes a character JSON would have to escape', () => {
    const text = encodeZ85(randomBytes(4096));
    expect(JSON.stringify(text)).toBe(`"${text}"`);
  });

  it.each<[string, string, number]>([
    ['a character outside the alphabet', 'Hello Worl', 8],
    ['a length that is not a multiple of 5', 'Hell', 3],
    ['a group past 2^32', '#####', 4],
    ['fewer bytes than the length claimed', 'HelloWorld', 9],
    ['a negative length', 'HelloWorld', -1],
  ])('refuses %s', (_name, text, length) => {
    expect(decodeZ85(text, length)).toBeUndefined();
  });
});
