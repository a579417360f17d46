/**
 * Who is calling, as established from a verified JWT. Everything downstream (grants, policy, records,
 * the STS source identity) uses this, never the raw token.
 */
export interface AgentIdentity {
  /** Name of the configured issuer that signed the token, e.g. `github`. */
  readonly issuer: string;
  /** The agent: the value of the issuer's agent claim, e.g. `repo:acme/app:ref:refs/heads/main`. */
  readonly agent: string;
  /** The session the request belongs to: agent plus the session claim (e.g. a run id). */
  readonly session: string;
  /** Group claim values, possibly empty. */
  readonly groups: readonly string[];
  /** The identifying claims kept for the record (never the token). */
  readonly claims: Readonly<Record<string, string>>;
  /** When the token stops being valid (its `exp`), in ms since the epoch: a long session is ended then. */
  readonly tokenExpiresAtMs?: number;
}
