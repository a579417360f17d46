/**
 * Credential patterns: what a credential looks like (a value regex) and, optionally, which key names announce
 * one. The default set is written so that every regex starts at a literal prefix or behind a boundary
 * look-behind and has no nested quantifiers: the engine then tries few start positions and never backtracks
 * more than one token, so a hostile 5 MB log line costs linear time.
 */

/** The text that replaces a masked value (in Secret `data` it is base64-encoded). */
export const MASKED_VALUE = '***MASKED***';

/**
 * One kind of credential.
 * - Without `keyNames`, every match of `regex` in any string (JSON value, log text) is masked; a named group
 *   `secret` limits the masking to that part (e.g. the password of `scheme://user:password@host`).
 * - With `keyNames`, only values under a matching key (JSON key, `{name, value}` pair such as an env var,
 *   `KEY=value` or `key: value` in text) are considered, and the whole value is masked when `regex` matches it.
 *   Key names are tested in snake_case lower case (`dbPassword`, `DB-PASSWORD` and `db.password` all become
 *   `db_password`).
 */
export interface CredentialPattern {
  /** Count key in the masking result, e.g. `jwt`. */
  readonly id: string;
  readonly regex: RegExp | string;
  readonly keyNames?: RegExp | string;
  /**
   * Lower-case strings one of which every match contains (for keyNames patterns: every matching key name).
   * Strings containing none are skipped without running the regex. Leave out to always run.
   */
  readonly hints?: readonly string[];
  /** Strings shorter than this are skipped. @default 1 */
  readonly minLength?: number;
}

/** Ids of the masking counts that are not credential patterns. */
export const SECRET_DATA_COUNT = 'secret-data';
/** Count id for TokenRequest tokens (`kubectl create token`). */
export const SERVICE_ACCOUNT_TOKEN_COUNT = 'service-account-token';

/** The default credential patterns, in the order they are applied. */
export const DEFAULT_CREDENTIAL_PATTERNS: readonly CredentialPattern[] = [
  {
    id: 'pem-private-key',
    // A truncated key (no END line) is masked to the end of the string: a partial key still leaks material.
    regex: /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]{0,40} PRIVATE KEY-----|[\s\S]*$)/g,
    hints: ['private key-----'],
    minLength: 40,
  },
  // Segments are bounded (64 KiB each, far above any real token): on megabytes of hostile `eyJ-eyJ-...` an
  // unbounded run is backtracked one character at a time and exhausts V8's regexp stack (a RangeError), where a
  // bounded one simply fails.
  { id: 'jwt', regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,65536}\.[A-Za-z0-9_-]{4,65536}(?:\.[A-Za-z0-9_-]{0,65536})?/g, hints: ['eyj'], minLength: 12 },
  { id: 'eks-token', regex: /k8s-aws-v1\.[A-Za-z0-9_-]{20,}/g, hints: ['k8s-aws-v1.'], minLength: 31 },
  {
    id: 'github-token',
    regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    minLength: 40,
  },
  { id: 'gitlab-token', regex: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,255}/g, hints: ['glpat-'], minLength: 26 },
  { id: 'slack-token', regex: /(?<![A-Za-z0-9_-])xox[abprs]-[A-Za-z0-9-]{10,255}/g, hints: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-'], minLength: 15 },
  {
    id: 'aws-access-key-id',
    regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    hints: ['akia', 'asia', 'abia', 'acca'],
    minLength: 20,
  },
  {
    id: 'connection-string-password',
    // Starts at the literal "://"; user and password are bounded runs that exclude their own delimiters.
    regex: /:\/\/[^\s:@/?#]{1,256}:(?<secret>[^\s@/?#]{1,512})@/g,
    hints: ['://'],
    minLength: 6,
  },
  {
    id: 'aws-secret-access-key',
    regex: /^[A-Za-z0-9/+=]{40}$/,
    keyNames: /(?:^|_)(?:aws_)?secret_?access_?key$/,
    hints: ['secret'],
  },
  {
    id: 'named-credential',
    // Any value but a bare boolean/null: `automountServiceAccountToken: false` in a values file is not a secret.
    regex: /^(?!(?:true|false|yes|no|on|off|null|~)$)[\s\S]*\S/i,
    keyNames: /(?:^|_)(?:password|passwd|secret|secret_?key|secret_?access_?key|token|api_?key|private_?key)s?$/,
    hints: ['pass', 'secret', 'token', 'key'],
  },
];
