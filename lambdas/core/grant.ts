import { createHash } from 'node:crypto';
import type { GrantSpec } from './gateway-config';

/** A grant as stored in the grants table. */
export interface Grant {
  readonly grantId: string;
  readonly connection: string;
  readonly principalType: 'agent' | 'group';
  /** Agent or group claim value; `*` matches any run of characters. */
  readonly principal: string;
  readonly issuer?: string;
  readonly namespaces?: readonly string[];
  /** RFC 3339. */
  readonly expiresAt?: string;
  readonly impersonateGroups?: readonly string[];
  readonly createdAt: string;
  readonly createdBy: string;
  /** Where the grant came from. */
  readonly source: 'config' | 'cli' | 'approval';
}

/** The DynamoDB item for a grant: the grant plus its keys (see docs/DATA-MODEL.md). */
export type GrantItem = Grant & {
  /** `conn#<connection>`: one Query fetches every grant of a connection. */
  readonly pk: string;
  /** `<principalType>#<principal>#<grantId>`. */
  readonly sk: string;
  /** GSI `by-principal` partition key: `<principalType>#<principal>`. */
  readonly principalKey: string;
  /** TTL attribute (epoch seconds), set when the grant expires, so DynamoDB removes it eventually. */
  readonly expiresAtEpoch?: number;
};

/** Builds the stored form of a grant spec. */
export function grantFromSpec(
  spec: GrantSpec,
  meta: { readonly grantId?: string; readonly createdAt: string; readonly createdBy: string; readonly source: Grant['source'] },
): Grant {
  const principalType = spec.agent !== undefined ? 'agent' : 'group';
  const principal = spec.agent ?? spec.group ?? '';
  return {
    grantId: meta.grantId ?? configGrantId(spec),
    connection: spec.connection,
    principalType,
    principal,
    ...(spec.issuer ? { issuer: spec.issuer } : {}),
    ...(spec.namespaces?.length ? { namespaces: [...spec.namespaces] } : {}),
    ...(spec.expiresAt ? { expiresAt: new Date(spec.expiresAt).toISOString() } : {}),
    ...(spec.impersonateGroups?.length ? { impersonateGroups: [...spec.impersonateGroups] } : {}),
    createdAt: meta.createdAt,
    createdBy: meta.createdBy,
    source: meta.source,
  };
}

/** Adds the table keys to a grant. */
export function grantToItem(grant: Grant): GrantItem {
  const principalKey = `${grant.principalType}#${grant.principal}`;
  return {
    ...grant,
    pk: `conn#${grant.connection}`,
    sk: `${principalKey}#${grant.grantId}`,
    principalKey,
    ...(grant.expiresAt ? { expiresAtEpoch: Math.floor(Date.parse(grant.expiresAt) / 1000) } : {}),
  };
}

/**
 * A stable id for a grant written in configuration, so that redeploying the same configuration
 * rewrites the same item instead of piling up copies.
 */
export function configGrantId(spec: GrantSpec): string {
  const canonical = JSON.stringify([spec.connection, spec.agent ?? null, spec.group ?? null, spec.issuer ?? null, spec.namespaces ?? null]);
  return `cfg-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}
