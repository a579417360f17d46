import { compact, show, type Section } from './config-section';
import type { SessionFrontConfig, SessionFrontCpu } from './gateway-config';
import type { DeploymentTarget } from './validate-connection-access';

// Records over every key: adding a field to SessionFrontConfig without teaching the validator fails to compile.
const SESSION_FRONT_KEYS: Record<keyof SessionFrontConfig, true> = {
  enabled: true, domainName: true, certificateArn: true, vpcId: true, publicSubnetIds: true, taskSubnetIds: true,
  desiredCount: true, maxCount: true, cpu: true, memoryMiB: true, maxSessionsPerAgent: true, maxSessionSeconds: true, allowedCidrs: true,
};

/** What an absent key of the section means (the CDK constructs and the front read these too). */
export const SESSION_FRONT_DEFAULTS = {
  desiredCount: 2,
  maxCount: 6,
  cpu: 512,
  memoryMiB: 1024,
  maxSessionsPerAgent: 5,
  maxSessionSeconds: 4 * 3600,
  allowedCidrs: ['0.0.0.0/0'],
} as const satisfies Partial<SessionFrontConfig>;

/** Memory sizes (MiB) Fargate accepts for each CPU size (Linux tasks). */
export const FARGATE_MEMORY_MIB: Readonly<Record<SessionFrontCpu, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

const MAX_TASKS = 100;
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ACM_ARN = /^arn:aws(-cn|-us-gov|-iso(-[a-z])?|-eusc)?:acm:(?<region>[a-z]{2}(-[a-z]+)+-\d{1,2}):\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Reads and checks the `sessionFront` section (called by `validateGatewayConfig` with the top-level section's
 * child). Every key is checked even when `enabled` is false, so turning the front on later cannot surface old
 * mistakes. Returns undefined when there was any problem.
 */
export function readSessionFrontConfig(s: Section, deployment?: DeploymentTarget): SessionFrontConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(SESSION_FRONT_KEYS);
  const enabled = s.boolean('enabled', true);

  const domainName = s.string('domainName', false, DOMAIN_NAME, 'a DNS name such as kube.example.com (lowercase, no trailing dot)');
  const certificateArn = s.string('certificateArn', false, ACM_ARN, 'an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)');
  if (s.has('domainName') !== s.has('certificateArn')) {
    s.problem(s.has('domainName')
      ? 'domainName needs certificateArn: the load balancer serves the name with an ACM certificate for it (or drop both to use the load balancer\'s own name and a deploy-time CA)'
      : 'certificateArn needs domainName: the name the certificate is for, which clients connect to and the stack outputs');
  }
  const certificateRegion = certificateArn ? ACM_ARN.exec(certificateArn)?.groups?.region : undefined;
  if (certificateRegion && deployment?.region && certificateRegion !== deployment.region) {
    s.problem(`certificateArn is in region ${certificateRegion} but this stack deploys to ${deployment.region}; a load balancer uses ACM certificates of its own region only (request or import one there)`);
  }

  const vpcId = s.string('vpcId', false, VPC_ID, 'a VPC id (vpc-0123456789abcdef0)');
  const publicSubnetIds = subnetIds(s, 'publicSubnetIds');
  const taskSubnetIds = subnetIds(s, 'taskSubnetIds');
  if (s.has('vpcId')) {
    if (!s.has('publicSubnetIds')) {
      s.problem('vpcId needs publicSubnetIds: the subnets of the internet-facing load balancer, at least two in different AZs (the VPC is not looked up, so synth stays offline)');
    } else if (publicSubnetIds && publicSubnetIds.length < 2) {
      s.problem(`publicSubnetIds lists ${publicSubnetIds.length} subnet; give at least two, in different AZs, so the front survives the loss of one`);
    }
  } else {
    for (const key of ['publicSubnetIds', 'taskSubnetIds'] as const) {
      if (s.has(key)) s.problem(`${key} needs vpcId: without it the stack creates its own VPC and subnets`);
    }
  }

  const desiredCount = s.integer('desiredCount', 1, MAX_TASKS, 'the tasks kept running while idle; autoscaling never goes below');
  const maxCount = s.integer('maxCount', 1, MAX_TASKS);
  const low = desiredCount ?? SESSION_FRONT_DEFAULTS.desiredCount;
  if (maxCount !== undefined && maxCount < low) {
    s.problem(`maxCount ${maxCount} is below desiredCount ${low}${desiredCount === undefined ? ' (the default)' : ''}; autoscaling runs between the two`);
  }

  const cpu = s.integer('cpu', 256, 4096) as SessionFrontCpu | undefined;
  const allowedCpu = Object.keys(FARGATE_MEMORY_MIB).map(Number);
  if (cpu !== undefined && !allowedCpu.includes(cpu)) s.problem(`cpu ${show(cpu)} is not a Fargate CPU size; use one of ${allowedCpu.join(', ')}`);
  const memoryMiB = s.integer('memoryMiB', 512, 30720);
  const memoryOptions = FARGATE_MEMORY_MIB[(cpu ?? SESSION_FRONT_DEFAULTS.cpu) as SessionFrontCpu];
  if (memoryMiB !== undefined && memoryOptions && !memoryOptions.includes(memoryMiB)) {
    s.problem(`memoryMiB ${memoryMiB} does not go with cpu ${cpu ?? SESSION_FRONT_DEFAULTS.cpu}${cpu === undefined ? ' (the default)' : ''}; Fargate accepts ${describeSizes(memoryOptions)}`);
  }

  const maxSessionsPerAgent = s.integer('maxSessionsPerAgent', 1, 1000,
    'each session holds a connection to the front and one to the cluster for as long as it lasts');
  const maxSessionSeconds = s.integer('maxSessionSeconds', 60, 24 * 3600, 'an exec or port-forward holds a task and a cluster connection while it lasts; a day at most');
  const allowedCidrs = s.strings('allowedCidrs', false);
  if (allowedCidrs?.length === 0) s.problem('allowedCidrs is empty, which would let nobody in; omit it to allow every address, or list at least one CIDR');
  allowedCidrs?.forEach((cidr, i) => {
    const problem = cidrProblem(cidr);
    if (problem) s.problem(`allowedCidrs[${i}] ${show(cidr)} ${problem}`);
  });

  if (!s.clean) return undefined;
  return compact({
    enabled, domainName, certificateArn, vpcId, publicSubnetIds, taskSubnetIds, desiredCount, maxCount, cpu, memoryMiB, maxSessionsPerAgent, maxSessionSeconds, allowedCidrs,
  }) as SessionFrontConfig;
}

function subnetIds(s: Section, key: string): string[] | undefined {
  const ids = s.strings(key, false);
  if (ids?.length === 0) s.problem(`${key} is empty; list subnet ids or omit the key`);
  ids?.forEach((id, i) => {
    if (!SUBNET_ID.test(id)) s.problem(`${key}[${i}] ${show(id)} is not a subnet id (subnet-0123456789abcdef0)`);
  });
  const duplicate = ids?.find((id, i) => ids.indexOf(id) < i);
  if (duplicate) s.problem(`${key} lists ${show(duplicate)} twice`);
  return ids;
}

/** Why an allowedCidrs entry is not a canonical IPv4 CIDR, or undefined when it is one. */
function cidrProblem(cidr: string): string | undefined {
  const m = IPV4_CIDR.exec(cidr);
  if (!m) return 'is not an IPv4 CIDR such as 203.0.113.0/24 (the load balancer listens on IPv4)';
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return 'is not an IPv4 CIDR: octets go up to 255 and the prefix up to 32';
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const block = 2 ** (32 - prefix);
  if (address % block !== 0) {
    const base = Math.floor(address / block) * block;
    const text = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.');
    return `has host bits set; write ${text}/${prefix}`;
  }
  return undefined;
}

function describeSizes(sizes: readonly number[]): string {
  return sizes.length <= 3 ? sizes.join(', ') : `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1]! - sizes[0]!}`;
}

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}
