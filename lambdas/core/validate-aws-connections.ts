import { compact, isDefined, Section, show } from './config-section';
import type { AwsConnectionConfig, AwsCredentialsConfig, MaskingPatternConfig } from './gateway-config';

// Records over every key: a field added to gateway-config.ts without teaching this validator fails to compile.
const AWS_CONNECTION_KEYS: Record<keyof AwsConnectionConfig, true> = {
  name: true, accountId: true, roleArn: true, regions: true, services: true, sessionDurationSeconds: true, endpoints: true, description: true, maskingPatterns: true,
};
const AWS_CREDENTIALS_KEYS: Record<keyof AwsCredentialsConfig, true> = { lifetimeSeconds: true, maxClockSkewSeconds: true };

const NAME = /^[a-z0-9-]{1,63}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** A SigV4 signing name: also what an endpoint host is built from, so nothing else may pass. */
const SERVICE = /^[a-z0-9-]{1,64}$/;
const ROLE_ARN = /^arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?|-eusc)?:iam::(?<account>\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Role chaining (the Lambda assumes the role with role credentials of its own) is capped at one hour by STS. */
const MAX_CHAINED_SESSION_SECONDS = 3600;

/** What the AWS connection checks need from the rest of the configuration. */
export interface AwsConnectionContext {
  /** Accept http endpoints on 127.0.0.1 (local mode's stand-ins). */
  readonly allowLocalEndpoints: boolean;
  readonly readMaskingPattern: (s: Section) => MaskingPatternConfig | undefined;
}

/**
 * One entry of `awsConnections`: an account's role, the regions and services calls may be signed for, and where
 * each service is reached. Every problem names the entry and what to write instead.
 */
export function readAwsConnection(s: Section, context: AwsConnectionContext): AwsConnectionConfig | undefined {
  if (!s.ok) return undefined;
  const name = s.string('name', true, NAME, 'lowercase letters, digits and "-", at most 63');
  s.rename(name);
  s.checkKeys(AWS_CONNECTION_KEYS);
  const accountId = s.string('accountId', true, ACCOUNT, 'the 12-digit AWS account id');
  const roleArn = s.string('roleArn', true, ROLE_ARN, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  const roleAccount = roleArn ? ROLE_ARN.exec(roleArn)?.groups?.account : undefined;
  if (roleAccount && accountId && roleAccount !== accountId) {
    s.problem(`roleArn ${show(roleArn)} is in account ${roleAccount} but accountId is ${accountId}; resource ARNs are built with accountId, so they must agree`);
  }
  const regions = s.strings('regions', true);
  regions?.forEach((r) => { if (!REGION.test(r)) s.problem(`regions entry ${show(r)} is not an AWS region such as eu-west-1`); });
  const services = s.strings('services', true);
  services?.forEach((x) => {
    if (x === '*') s.problem('services entry "*" is not allowed: list each service, so a new one is a decision, not a default');
    else if (!SERVICE.test(x)) s.problem(`services entry ${show(x)} is not a service signing name (lowercase letters, digits and "-", as in s3, dynamodb, secretsmanager)`);
  });
  const sessionDurationSeconds = s.integer('sessionDurationSeconds', 900, MAX_CHAINED_SESSION_SECONDS,
    'the proxy Lambda assumes the role with role credentials of its own (role chaining), which STS caps at one hour');
  const endpoints = s.has('endpoints') ? readEndpoints(s.child('endpoints', s.value('endpoints')), services ?? [], context) : undefined;
  const description = s.string('description', false);
  const maskingPatterns = s.list('maskingPatterns', false).map((item, i) => context.readMaskingPattern(s.child(`maskingPatterns[${i}]`, item)));
  if (!s.clean) return undefined;
  return compact({
    name, accountId, roleArn, regions, services, sessionDurationSeconds, endpoints, description,
    maskingPatterns: s.has('maskingPatterns') ? maskingPatterns.filter(isDefined) : undefined,
  }) as AwsConnectionConfig;
}

/** `endpoints`: a URL per listed service, https (http only to this machine, in local mode), nothing but origin and path. */
function readEndpoints(s: Section, services: readonly string[], context: AwsConnectionContext): Record<string, string> | undefined {
  if (!s.ok) return undefined;
  const out: Record<string, string> = {};
  for (const [service, value] of s.entries()) {
    if (!services.includes(service)) {
      s.problem(`endpoints.${service} names a service that is not in services (${services.join(', ') || 'none'}); add it there or remove the endpoint`);
      continue;
    }
    if (typeof value !== 'string') {
      s.problem(`endpoints.${service} must be a URL, got ${show(value)}`);
      continue;
    }
    const url = parseUrl(value.replace(/\{region\}/g, 'us-east-1'));
    const local = url !== undefined && LOCAL_HOSTS.has(url.hostname);
    if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && local && context.allowLocalEndpoints))) {
      s.problem(`endpoints.${service} ${show(value)} must be an https URL${context.allowLocalEndpoints ? ' (or http on 127.0.0.1)' : ''}`);
      continue;
    }
    if (local && !context.allowLocalEndpoints) {
      s.problem(`endpoints.${service} ${show(value)} is a local address, accepted only in local mode`);
      continue;
    }
    if (url.search || url.hash || url.username || url.password || value.includes('?') || value.includes('#')) {
      s.problem(`endpoints.${service} ${show(value)} must not carry a query, fragment or credentials`);
      continue;
    }
    out[service] = value.replace(/\/+$/, '');
  }
  return out;
}

/** `awsCredentials`: how long a Gatehouse session credential lasts and how much clock skew a signature may have. */
export function readAwsCredentials(s: Section): AwsCredentialsConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(AWS_CREDENTIALS_KEYS);
  const lifetimeSeconds = s.integer('lifetimeSeconds', 900, 43_200, 'as STS sessions: from 15 minutes to 12 hours (the grant is checked on every call anyway)');
  const maxClockSkewSeconds = s.integer('maxClockSkewSeconds', 1, 900, 'AWS accepts 5 minutes; more lets a captured request be replayed for longer');
  if (!s.clean) return undefined;
  return compact({ lifetimeSeconds, maxClockSkewSeconds }) as AwsCredentialsConfig;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
