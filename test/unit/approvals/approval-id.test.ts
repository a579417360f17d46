import { isApprovalId, newApprovalId } from '../../../lambdas/core/approvals/approval-id';

describe('approval ids', () => {
  it('are apr- and 12 base32 characters without i, l, o, u', () => {
    const ids = Array.from({ length: 200 }, () => newApprovalId());
    for (const id of ids) expect(id).toMatch(/^apr-[0-9a-hjkmnp-tv-z]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('map random bytes onto the alphabet', () => {
    expect(newApprovalId(() => Uint8Array.from({ length: 12 }, (_, i) => i * 3))).toBe('apr-0369cfjnrvy1');
  });

  it.each([
    ['apr-0123456789ab', true],
    ['apr-0123456789a', false],
    ['apr-0123456789abc', false],
    ['apr-0123456789ai', false],
    ['APR-0123456789AB', false],
    ['apr-012345678/ab', false],
    [42, false],
  ])('recognise %p as %p', (value, expected) => {
    expect(isApprovalId(value)).toBe(expected);
  });
});
