import { credentialKeysOf } from '../../../../lambdas/proxy/aws/aws-dependencies-from-environment';

describe('credentialKeysOf', () => {
  it('names a key by a digest of it, the same for the same key and another for another', () => {
    const a = credentialKeysOf('k'.repeat(64));
    expect(a.current.id).toMatch(/^[0-9a-f]{12}$/);
    expect(credentialKeysOf('k'.repeat(64)).current.id).toBe(a.current.id);
    expect(credentialKeysOf('j'.repeat(64)).current.id).not.toBe(a.current.id);
    expect(a.byId.get(a.current.id)?.toString()).toBe('k'.repeat(64));
  });

  it('refuses a key too short to make credentials with', () => {
    expect(() => credentialKeysOf('short')).toThrow(/shorter than 32/);
  });
});
