import { equalFoldAscii, goBool, queryBool } from '../../../lambdas/core/query-bool';

describe('queryBool (the API server\'s Convert_Slice_string_To_bool)', () => {
  it.each<[string, string, boolean]>([
    ['absent', '', false],
    ['true', 'follow=true', true],
    ['1', 'follow=1', true],
    ['yes', 'follow=yes', true],
    ['on', 'follow=on', true],
    ['empty (present but no value)', 'follow=', true],
    ['a bare key', 'follow', true],
    ['anything else', 'follow=nope', true],
    ['" false" (no trimming)', 'follow=%20false', true],
    ['"00" (only "0" itself is false)', 'follow=00', true],
    ['false', 'follow=false', false],
    ['FALSE', 'follow=FALSE', false],
    ['FaLsE', 'follow=FaLsE', false],
    ['0', 'follow=0', false],
    ['"falſe" (EqualFold folds the long s to s)', 'follow=fal%C5%BFe', false],
    ['"FALſE"', 'follow=FAL%C5%BFE', false],
    ['the first of repeated values (false, true)', 'follow=false&follow=true', false],
    ['the first of repeated values (true, false)', 'follow=true&follow=false', true],
    ['another parameter only', 'watch=false', false],
  ])('%s', (_case, rawQuery, expected) => {
    expect(queryBool(new URLSearchParams(rawQuery), 'follow')).toBe(expected);
  });

  it('is false for no values and decided by the first one otherwise', () => {
    expect(goBool([])).toBe(false);
    expect(goBool(['', 'false'])).toBe(true);
    expect(goBool(['0', 'true'])).toBe(false);
  });
});

describe('equalFoldAscii (Go\'s strings.EqualFold against an ASCII word)', () => {
  it.each<[string, string, boolean]>([
    ['false', 'false', true],
    ['False', 'false', true],
    ['fal\u017fe', 'false', true],
    ['\u212aind', 'kind', true],
    ['\u212aIND', 'kind', true],
    ['kind', 'KIND', true],
    ['fals', 'false', false],
    ['falsee', 'false', false],
    ['f\u00e0lse', 'false', false],
    // U+0130 (İ) lowers to "i" with unicode.ToLower but is not in i's fold orbit.
    ['\u0130d', 'id', false],
    ['', '', true],
  ])('%j vs %j', (value, target, expected) => {
    expect(equalFoldAscii(value, target)).toBe(expected);
  });
});
