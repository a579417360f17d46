import { badRequest, forbidden, unauthorized, type QualifiedResource } from './status-errors';
import type { KubeUser } from './types';

/** Headers with every value kept apart (Node's `headersDistinct`), names lower case. */
export type DistinctHeaders = Readonly<Record<string, string[] | undefined>>;

/**
 * Authenticates a request like the real server's bearer-token authenticator: `Authorization: Bearer <t>`
 * (scheme case-insensitive, non-empty token) checked by the injected function. Anything else is a 401
 * with the exact Status body kubectl turns into "You must be logged in to the server (Unauthorized)".
 */
export async function authenticateRequest(
  headers: DistinctHeaders,
  authenticate: (token: string) => Promise<KubeUser | undefined>,
): Promise<KubeUser> {
  const values = headers.authorization ?? [];
  if (values.length !== 1) throw unauthorized();
  const match = /^bearer\s+(\S+)\s*$/i.exec(values[0]!);
  if (!match) throw unauthorized();
  let user: KubeUser | undefined;
  try {
    user = await authenticate(match[1]!);
  } catch {
    // An authenticator that errors must not let the request through: the real server answers 401 too.
    user = undefined;
  }
  if (!user) throw unauthorized();
  return user;
}

interface ImpersonationRequest {
  readonly kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  readonly name: string;
  readonly namespace?: string;
  readonly extraKey?: string;
}

const SA_PREFIX = 'system:serviceaccount:';

function decodeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Go's `%v` of a `[]v1.ObjectReference`, which the real 400 message embeds verbatim. */
function goObjectReferences(requests: readonly ImpersonationRequest[]): string {
  const one = (r: ImpersonationRequest): string => {
    const apiVersion = r.kind === 'UserExtra' || r.kind === 'UID' ? 'authentication.k8s.io/v1' : '';
    return `{${[r.kind, r.namespace ?? '', r.name, '', apiVersion, '', r.extraKey ?? ''].join(' ')}}`;
  };
  return `[${requests.map(one).join(' ')}]`;
}

function parseImpersonation(headers: DistinctHeaders): ImpersonationRequest[] {
  const requests: ImpersonationRequest[] = [];
  const user = headers['impersonate-user']?.[0] ?? '';
  if (user) {
    const sa = user.startsWith(SA_PREFIX) ? user.slice(SA_PREFIX.length).split(':') : undefined;
    if (sa && sa.length === 2 && sa[0] && sa[1]) requests.push({ kind: 'ServiceAccount', namespace: sa[0], name: sa[1] });
    else requests.push({ kind: 'User', name: user });
  }
  for (const group of headers['impersonate-group'] ?? []) requests.push({ kind: 'Group', name: group });
  for (const [header, values] of Object.entries(headers)) {
    if (!header.startsWith('impersonate-extra-')) continue;
    const extraKey = decodeExtraKey(header.slice('impersonate-extra-'.length));
    for (const value of values ?? []) requests.push({ kind: 'UserExtra', name: value, extraKey });
  }
  const uid = headers['impersonate-uid']?.[0] ?? '';
  if (uid) requests.push({ kind: 'UID', name: uid });
  if (requests.length > 0 && !user) {
    throw badRequest(`requested ${goObjectReferences(requests)} without impersonating a user`);
  }
  return requests;
}

function deniedFor(r: ImpersonationRequest, requester: string): Error {
  let qr: QualifiedResource;
  let resource: string;
  switch (r.kind) {
    case 'ServiceAccount':
      qr = { group: '', resource: 'serviceaccounts' };
      return forbidden(qr, r.name, `User "${requester}" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "${r.namespace}"`);
    case 'User':
      qr = { group: '', resource: 'users' };
      resource = 'users';
      break;
    case 'Group':
      qr = { group: '', resource: 'groups' };
      resource = 'groups';
      break;
    case 'UserExtra':
      qr = { group: 'authentication.k8s.io', resource: 'userextras' };
      resource = `userextras/${r.extraKey}`;
      break;
    default:
      qr = { group: 'authentication.k8s.io', resource: 'uids' };
      resource = 'uids';
  }
  return forbidden(qr, r.name, `User "${requester}" cannot impersonate resource "${resource}" in API group "${qr.group}" at the cluster scope`);
}

/**
 * Applies Impersonate-* headers like the real impersonation filter: a group, extra or uid without a user
 * is a 400; each request must be allowed (here: the requester is listed in `impersonators`, standing in
 * for RBAC's `impersonate` verb) or the first denied one is a 403. Returns the user to act as, or
 * undefined when no impersonation was asked for.
 */
export function applyImpersonation(
  headers: DistinctHeaders,
  requester: KubeUser,
  impersonators: readonly string[],
): KubeUser | undefined {
  const requests = parseImpersonation(headers);
  if (requests.length === 0) return undefined;
  if (!impersonators.includes(requester.username)) throw deniedFor(requests[0]!, requester.username);
  let username = '';
  let uid: string | undefined;
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  const groupsSpecified = requests.some((r) => r.kind === 'Group');
  for (const r of requests) {
    if (r.kind === 'User') username = r.name;
    else if (r.kind === 'ServiceAccount') {
      username = `${SA_PREFIX}${r.namespace}:${r.name}`;
      if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
    } else if (r.kind === 'Group') groups.push(r.name);
    else if (r.kind === 'UserExtra') (extra[r.extraKey!] ??= []).push(r.name);
    else uid = r.name;
  }
  // Same rule as the real filter: an impersonated non-anonymous user is always authenticated.
  if (username !== 'system:anonymous') {
    if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  } else if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  return { username, uid, groups, extra };
}
