import { CredentialPattern, DEFAULT_CREDENTIAL_PATTERNS, MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { compileCredentialPatterns, keyedPatternsFor, maskString, maskText, normalizeKeyName } from '../../../lambdas/core/masking/mask-text';

const M = MASKED_VALUE;

/** Compiles the patterns in the test itself, so what compilation decides is exercised by every case. */
function masked(text: string, patterns: readonly CredentialPattern[] = DEFAULT_CREDENTIAL_PATTERNS) {
  const counts: Record<string, number> = {};
  return { text: maskText(text, compileCredentialPatterns(patterns), counts), counts };
}

function maskedUnder(key: string, value: string, patterns: readonly CredentialPattern[] = DEFAULT_CREDENTIAL_PATTERNS) {
  const counts: Record<string, number> = {};
  return { text: maskString(value, key, compileCredentialPatterns(patterns), counts), counts };
}

describe('maskText: key/value pairs in free text keep everything but the value', () => {
  it.each([
    ['a YAML value with spaces, up to its comment', 'password: correct horse battery # rotate monthly', `password: ${M} # rotate monthly`],
    ['a YAML value, not the spaces before its comment', 'password: abc  # note', `password: ${M}  # note`],
    ['a YAML value ending at the line end', 'password: abc\nuser: bob', `password: ${M}\nuser: bob`],
    ['a YAML value ending at a carriage return (progress output)', 'password: abc\r50% done', `password: ${M}\r50% done`],
    ['a YAML value on a later line', 'db:\n  host: x\n  password: open sesame # old', `db:\n  host: x\n  password: ${M} # old`],
    ['a flag value, not the next flag', 'exec /app --db-password=hunter2 --verbose', `exec /app --db-password=${M} --verbose`],
    ['an = value, not the words after it', 'PASSWORD=abc and more', `PASSWORD=${M} and more`],
    ['the last line of a log without a trailing newline', 'line one\nPASSWORD=hunter2', `line one\nPASSWORD=${M}`],
    ['two credential lines', 'PASSWORD=hunter2\nTOKEN=abc123\n', `PASSWORD=${M}\nTOKEN=${M}\n`],
    ['a quoted value that looks like a pair itself', 'password="token=abc123"', `password="${M}"`],
    ['a pair inside the value of another key', 'msg="password=hunter2"', `msg="password=${M}"`],
  ])('%s', (_name, text, expected) => {
    // Act
    const out = masked(text);
    // Assert
    expect(out.text).toBe(expected);
  });

  it.each([
    ['a key/value pair', `PASSWORD=${M}`],
    ['a connection string', `postgres://app:${M}@db:5432`],
  ])('leaves an already masked %s as it is and counts nothing', (_name, text) => {
    const out = masked(text);
    expect(out).toEqual({ text, counts: {} });
  });

  it('masks an EKS token (its hint ends with a dot)', () => {
    const out = masked('token k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20v in use');
    expect(out).toEqual({ text: `token ${M} in use`, counts: { 'eks-token': 1 } });
  });

  it('masks only the password of a connection string found by the default patterns', () => {
    expect(masked('postgres://app:hunter2@db:5432/app').text).toBe(`postgres://app:${M}@db:5432/app`);
  });
});

describe('maskString: a value under a credential key', () => {
  it.each([
    ['a password under a camelCase key', 'dbPassword', 'hunter2', M, { 'named-credential': 1 }],
    ['a boolean under a password key', 'password', 'false', 'false', {}],
    ['an empty value', 'password', '', '', {}],
    ['an already masked value (counted once, not twice)', 'password', M, M, {}],
    ['an ordinary value under an ordinary key', 'image', 'nginx:1.27', 'nginx:1.27', {}],
  ])('%s', (_name, key, value, expected, counts) => {
    const out = maskedUnder(key, value);
    expect(out).toEqual({ text: expected, counts });
  });
});

describe('normalizeKeyName', () => {
  it.each([
    ['dbPassword', 'db_password'],
    ['DB-PASSWORD', 'db_password'],
    ['db.password', 'db_password'],
    ['db--password', 'db_password'],
    ['AWS_SECRET__ACCESS_KEY', 'aws_secret_access_key'],
    ['x-api.Key', 'x_api_key'],
  ])('%s -> %s', (key, expected) => {
    expect(normalizeKeyName(key)).toBe(expected);
  });

  it('finds the AWS secret key pattern under a key with repeated separators', () => {
    const out = maskedUnder('AWS_SECRET__ACCESS_KEY', 'hunter2isweak/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(out.counts).toEqual({ 'aws-secret-access-key': 1 });
  });
});

describe('custom credential patterns', () => {
  const PIN_NO_HINTS: CredentialPattern = { id: 'pin', regex: '^\\d{4}$', keyNames: '(^|_)pin$' };

  it('applies a value pattern whose hints list is empty (as if it had none)', () => {
    const out = masked('order ACME-12345678 shipped', [{ id: 'acme', regex: /ACME-\d{8}/, hints: [] }]);
    expect(out).toEqual({ text: `order ${M} shipped`, counts: { acme: 1 } });
  });

  it('applies a value pattern without hints next to patterns with hints', () => {
    const out = masked('order ACME-12345678 with AKIAIOSFODNN7EXAMPLE', [{ id: 'acme', regex: /ACME-\d{8}/ }, ...DEFAULT_CREDENTIAL_PATTERNS]);
    expect(out.text).toBe(`order ${M} with ${M}`);
    expect(out.counts).toEqual({ acme: 1, 'aws-access-key-id': 1 });
  });

  it('masks KEY=value in text when the only patterns are key-name patterns without hints', () => {
    const out = masked('CARD_PIN=1234 accepted', [PIN_NO_HINTS]);
    expect(out).toEqual({ text: `CARD_PIN=${M} accepted`, counts: { pin: 1 } });
  });

  it('ends a YAML value at the line end when key-name patterns without hints scan the whole text', () => {
    const out = masked('CARD_PIN: 1234\nnext: line', [PIN_NO_HINTS]);
    expect(out.text).toBe(`CARD_PIN: ${M}\nnext: line`);
  });

  it('matches a key-name pattern written as an upper-case string case-insensitively', () => {
    const out = maskedUnder('card_pin', '1234', [{ id: 'pin', regex: '^\\d{4}$', keyNames: '(^|_)PIN$' }]);
    expect(out.text).toBe(M);
  });

  it('ignores the g flag of a key-name regex, so every matching key is found (no lastIndex carried over)', () => {
    const compiled = compileCredentialPatterns([{ id: 'pin', regex: /^\d{4}$/, keyNames: /(^|_)pin$/gi }]);
    const counts: Record<string, number> = {};
    const out = ['CARD_PIN', 'door_pin', 'SAFE-PIN'].map((key) => maskString('1234', key, compiled, counts));
    expect(out).toEqual([M, M, M]);
    expect(counts).toEqual({ pin: 3 });
  });

  it('masks a string exactly as long as the pattern\'s minimum length', () => {
    const out = masked('1234', [{ id: 'pin', regex: /\b\d{4}\b/, minLength: 4 }]);
    expect(out.text).toBe(M);
  });

  it('masks only real matches of a pattern that can also match nothing (and does not hang)', () => {
    const out = masked('a acme_12345678 b', [{ id: 'acme', regex: '(?:acme_[0-9]{8})?' }]);
    expect(out).toEqual({ text: `a ${M} b`, counts: { acme: 1 } });
  });

  it('does not mask an empty value even when the key-name pattern would accept it', () => {
    const out = maskedUnder('pin', '', [{ id: 'pin', regex: '.*', keyNames: 'pin' }]);
    expect(out).toEqual({ text: '', counts: {} });
  });

  it('bounds the key-name cache (clients choose the keys)', () => {
    const compiled = compileCredentialPatterns(DEFAULT_CREDENTIAL_PATTERNS);
    for (let i = 0; i <= 10_000; i++) keyedPatternsFor(`key-${i}`, compiled);
    expect(compiled.keyCache.size).toBeLessThanOrEqual(10_000);
    expect(keyedPatternsFor('dbPassword', compiled).map((p) => p.id)).toEqual(['named-credential']);
  });
});
