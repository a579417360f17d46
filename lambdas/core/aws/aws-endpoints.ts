import { BadRequestError } from '../errors';
import type { AwsConnectionConfig } from '../gateway-config';

/**
 * Where Gatehouse sends an AWS call and which region it signs for. The service and region come from the
 * agent's credential scope, so they are checked to be plain identifiers before they become part of a host
 * name: nothing the agent sends can name a host outside `<prefix>.<region>.<partition suffix>` or the
 * operator's configured `endpoints`.
 */

/** A service or region from a credential scope that cannot name an endpoint (it is not `[a-z0-9-]{1,64}`). */
export class AwsEndpointError extends BadRequestError {}

const IDENTIFIER = /^[a-z0-9-]{1,64}$/;

/** The AWS partitions, as the SDK's partitions.json has them: region pattern, DNS suffix, global region. */
interface Partition {
  readonly id: string;
  readonly regions: RegExp;
  readonly dnsSuffix: string;
  /** Where the partition's global services (IAM, Route 53, ...) live and are signed. */
  readonly globalRegion: string;
}

// The order matters: `us-iso-` and `us-isob-` before the commercial pattern's `us-`; the SDK tests them in this order too.
const PARTITIONS: readonly Partition[] = [
  { id: 'aws-cn', regions: /^cn-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com.cn', globalRegion: 'cn-northwest-1' },
  { id: 'aws-us-gov', regions: /^us-gov-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com', globalRegion: 'us-gov-west-1' },
  { id: 'aws-iso', regions: /^us-iso-[a-z]+-\d+$/, dnsSuffix: 'c2s.ic.gov', globalRegion: 'us-iso-east-1' },
  { id: 'aws-iso-b', regions: /^us-isob-[a-z]+-\d+$/, dnsSuffix: 'sc2s.sgov.gov', globalRegion: 'us-isob-east-1' },
  { id: 'aws-iso-e', regions: /^eu-isoe-[a-z]+-\d+$/, dnsSuffix: 'cloud.adc-e.uk', globalRegion: 'eu-isoe-west-1' },
  { id: 'aws-iso-f', regions: /^us-isof-[a-z]+-\d+$/, dnsSuffix: 'csp.hci.ic.gov', globalRegion: 'us-isof-south-1' },
  { id: 'aws-eusc', regions: /^eusc-de-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.eu', globalRegion: 'eusc-de-east-1' },
];
// Also the fallback for a region no pattern knows (a new one), as the SDK falls back to `aws`.
const COMMERCIAL: Partition = { id: 'aws', regions: /^[a-z]+-[a-z]+-\d+$/, dnsSuffix: 'amazonaws.com', globalRegion: 'us-east-1' };

/** The partition a region belongs to (`aws` for a region of no known partition, as the SDK does). */
export function awsPartitionOf(region: string): { readonly id: string; readonly dnsSuffix: string } {
  const { id, dnsSuffix } = partitionOf(region);
  return { id, dnsSuffix };
}

function partitionOf(region: string): Partition {
  return PARTITIONS.find((p) => p.regions.test(region)) ?? COMMERCIAL;
}

/**
 * Services whose endpoint host does not start with their signing name (the name in the credential scope).
 * CloudWatch is not here: it signs as `monitoring` and lives at `monitoring.<region>`.
 */
const HOST_PREFIX: Readonly<Record<string, string>> = {
  ses: 'email',
  mobiletargeting: 'pinpoint',
  ecr: 'api.ecr',
  'ecr-public': 'api.ecr-public',
  pricing: 'api.pricing',
  sagemaker: 'api.sagemaker',
  cloudhsm: 'cloudhsmv2',
  'sso-oauth': 'oidc',
  awsssoportal: 'portal.sso',
};

/**
 * Global services: one endpoint per partition, signed for the partition's global region whatever region the
 * agent's SDK was configured with (an SDK pointed at Gatehouse's `endpoint_url` signs IAM calls for its own
 * region, since a custom endpoint skips the SDK's endpoint rules).
 */
const GLOBAL: Readonly<Record<string, (p: Partition) => { readonly host: string; readonly region: string } | undefined>> = {
  iam: (p) => p.id === 'aws' ? { host: 'iam.amazonaws.com', region: 'us-east-1' }
    : p.id === 'aws-us-gov' ? { host: 'iam.us-gov.amazonaws.com', region: 'us-gov-west-1' }
      : p.id === 'aws-cn' ? { host: 'iam.cn-north-1.amazonaws.com.cn', region: 'cn-north-1' }
        : { host: `iam.${p.globalRegion}.${p.dnsSuffix}`, region: p.globalRegion },
  route53: (p) => p.id === 'aws' ? { host: 'route53.amazonaws.com', region: 'us-east-1' }
    : p.id === 'aws-us-gov' ? { host: 'route53.us-gov.amazonaws.com', region: 'us-gov-west-1' }
      : p.id === 'aws-cn' ? { host: 'route53.amazonaws.com.cn', region: 'cn-northwest-1' } : undefined,
  cloudfront: (p) => p.id === 'aws' ? { host: 'cloudfront.amazonaws.com', region: 'us-east-1' }
    : p.id === 'aws-cn' ? { host: 'cloudfront.cn-northwest-1.amazonaws.com.cn', region: 'cn-northwest-1' } : undefined,
  organizations: (p) => ({ host: `organizations.${p.globalRegion}.${p.dnsSuffix}`, region: p.globalRegion }),
  budgets: (p) => p.id === 'aws' ? { host: 'budgets.amazonaws.com', region: 'us-east-1' } : undefined,
  ce: (p) => ({ host: `ce.${p.globalRegion}.${p.dnsSuffix}`, region: p.globalRegion }),
  'ecr-public': (p) => p.id === 'aws' ? { host: 'api.ecr-public.us-east-1.amazonaws.com', region: 'us-east-1' } : undefined,
  route53domains: (p) => p.id === 'aws' ? { host: 'route53domains.us-east-1.amazonaws.com', region: 'us-east-1' } : undefined,
};

/** `aws-global`, the SDK's pseudo-region of STS's (and a few others') legacy global endpoint. */
const AWS_GLOBAL = 'aws-global';

function checkIdentifiers(service: string, region: string): void {
  if (!IDENTIFIER.test(service)) throw new AwsEndpointError(`The credential scope names the service '${printable(service)}', which is not an AWS service signing name ([a-z0-9-]); check the SDK's configuration.`);
  if (!IDENTIFIER.test(region)) throw new AwsEndpointError(`The credential scope names the region '${printable(region)}', which is not an AWS region name ([a-z0-9-]); check AWS_REGION.`);
}

/** A table's own entry: service names like `constructor` must not find the object prototype's. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

function globalEndpoint(service: string, region: string): { readonly host: string; readonly region: string } | undefined {
  if (region === AWS_GLOBAL) {
    if (service === 'sts') return { host: 'sts.amazonaws.com', region: 'us-east-1' };
    return own(GLOBAL, service)?.(COMMERCIAL);
  }
  return own(GLOBAL, service)?.(partitionOf(region));
}

/**
 * The region a call for `service` in `region` is signed for upstream: the partition's global region for
 * global services (IAM: `us-east-1`, `cn-north-1` in China, `us-gov-west-1` in GovCloud), else `region`.
 * Throws AwsEndpointError when either is not a plain identifier.
 */
export function awsSigningRegionFor(service: string, region: string): string {
  checkIdentifiers(service, region);
  return globalEndpoint(service, region)?.region ?? (region === AWS_GLOBAL ? 'us-east-1' : region);
}

/**
 * The URL a call for `service` in `region` goes to: the connection's `endpoints[service]` with `{region}`
 * replaced (VPC, FIPS or local stand-in endpoints the operator chose), else AWS's public endpoint for the
 * region's partition (`https://<prefix>.<region>.<suffix>`, S3 at `https://s3.<region>.amazonaws.com` for
 * path-style calls, STS regional, the global services at their one endpoint). Throws AwsEndpointError when the
 * service or region is not a plain identifier, or the configured URL is not an http(s) URL without credentials,
 * query or fragment.
 */
export function awsEndpointFor(connection: Pick<AwsConnectionConfig, 'name' | 'endpoints'>, service: string, region: string): URL {
  checkIdentifiers(service, region);
  const configured = connection.endpoints ? own(connection.endpoints, service) : undefined;
  if (configured !== undefined) return configuredEndpoint(connection.name, service, configured.split('{region}').join(region));
  const global = globalEndpoint(service, region);
  if (global) return new URL(`https://${global.host}/`);
  if (region === AWS_GLOBAL) throw new AwsEndpointError(`'${service}' has no global endpoint; set a region (AWS_REGION) for it.`);
  const prefix = own(HOST_PREFIX, service) ?? service;
  return new URL(`https://${prefix}.${region}.${partitionOf(region).dnsSuffix}/`);
}

function configuredEndpoint(connection: string, service: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AwsEndpointError(`The endpoint configured for ${service} on AWS connection ${connection} is not a URL; ask the operator to fix awsConnections[].endpoints.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new AwsEndpointError(`The endpoint configured for ${service} on AWS connection ${connection} must be an https URL without credentials, query or fragment; ask the operator to fix awsConnections[].endpoints.`);
  }
  return url;
}
