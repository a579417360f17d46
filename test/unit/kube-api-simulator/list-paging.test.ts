import { decodeContinue, encodeContinue, paginate, parseLimit } from '../../../local/kube-api-simulator/list-paging';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import type { KubeObject } from '../../../local/kube-api-simulator/types';

const objects: KubeObject[] = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ metadata: { name, namespace: 'ns' } }));
const names = (items: readonly KubeObject[]): string[] => items.map((o) => o.metadata.name!);

describe('list paging', () => {
  it.each([
    [undefined, ['a', 'b', 'c', 'd', 'e'], false],
    [5, ['a', 'b', 'c', 'd', 'e'], false],
    [10, ['a', 'b', 'c', 'd', 'e'], false],
    [2, ['a', 'b'], true],
    [4, ['a', 'b', 'c', 'd'], true],
  ])('limit %p returns %p (continue: %p)', (limit, expected, hasContinue) => {
    // Act
    const page = paginate(objects, limit, undefined, 1200, true);

    // Assert
    expect(names(page.items)).toEqual(expected);
    expect(Boolean(page.continue)).toBe(hasContinue);
  });

  it('walks every object exactly once through continue tokens, counting what remains', () => {
    // Arrange
    const seen: string[] = [];
    const remaining: (number | undefined)[] = [];
    let token: string | undefined;

    // Act
    do {
      const page = paginate(objects, 2, token ? decodeContinue(token) : undefined, 1200, true);
      seen.push(...names(page.items));
      remaining.push(page.remainingItemCount);
      token = page.continue;
    } while (token);

    // Assert
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(remaining).toEqual([3, 1, undefined]);
  });

  it('encodes tokens in the real server format and keeps the list revision', () => {
    // Act
    const token = encodeContinue(1234, 'ns/b');
    const json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));

    // Assert
    expect(json).toEqual({ v: 'meta.k8s.io/v1', rv: 1234, start: 'ns/b\u0000' });
    expect(decodeContinue(token)).toEqual({ resourceVersion: 1234, start: 'ns/b\u0000' });
  });

  it('omits remainingItemCount when selectors filtered the list, as the real server does', () => {
    // Act
    const page = paginate(objects, 2, undefined, 1200, false);

    // Assert
    expect(page.remainingItemCount).toBeUndefined();
    expect(page.continue).toBeDefined();
  });

  it.each([
    ['not base64 json!!'],
    [Buffer.from(JSON.stringify({ v: 'other', rv: 1, start: 'x' })).toString('base64url')],
    [Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: 'x' })).toString('base64url')],
  ])('rejects the continue token %p with 400', (token) => {
    // Act / Assert
    expect(() => decodeContinue(token)).toThrow(KubeApiError);
    expect(() => decodeContinue(token)).toThrow(/continue key is not valid/);
  });

  it.each([
    [null, undefined],
    ['', undefined],
    ['0', undefined],
    ['-3', undefined],
    ['500', 500],
  ])('parses limit %p as %p', (value, expected) => {
    expect(parseLimit(value)).toBe(expected);
  });

  it('rejects a limit that is not a number', () => {
    expect(() => parseLimit('ten')).toThrow(/invalid syntax/);
  });
});
