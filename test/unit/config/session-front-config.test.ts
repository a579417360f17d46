import { ConfigError } from '../../../lambdas/core/errors';
import { validateGatewayConfig, type ValidateGatewayConfigOptions } from '../../../lambdas/core/validate-gateway-config';
import { FARGATE_MEMORY_MIB } from '../../../lambdas/core/validate-session-front-config';

// A real self-signed certificate (CN=kubernetes), base64 of its PEM as in a kubeconfig.
const CA = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmakNDQVNXZ0F3SUJBZ0lVR3lBWlRPZ2VQQ2pHZmxOMENRS0NZL3c4b1Nrd0NnWUlLb1pJemowRUF3SXcKRlRFVE1CRUdBMVVFQXd3S2EzVmlaWEp1WlhSbGN6QWVGdzB5TmpFeE1qSXdNakEwTkRSYUZ3MHpOakV4TVRrdwpNakEwTkRSYU1CVXhFekFSQmdOVkJBTU1DbXQxWW1WeWJtVjBaWE13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPClBRTUJCd05DQUFTWFZXMlZNbEdzZmZOMjFvWFQvL2pBUEZIQXR3MDIyZ3g0Z2lUQy9hZjBlL2RaMDg4T3B2b3YKSWZRSFpSVXNpR09qUFhCZjhiM0JFaWlONkFETGxNSmpvMU13VVRBZEJnTlZIUTRFRmdRVTRFL01kUllxcGRiWAp1TkpCWkJ0L2JoYklXMmN3SHdZRFZSMGpCQmd3Rm9BVTRFL01kUllxcGRiWHVOSkJaQnQvYmhiSVcyY3dEd1lEClZSMFRBUUgvQkFVd0F3RUIvekFLQmdncWhrak9QUVFEQWdOSEFEQkVBaUJ3amlWanRNWGttT2JINFZNVm5NcjMKSXRCY1FRWEp2dDJXRnlqaFRBY0ZvUUlnSU5CbGxhMldTazNJSW1rV1VCMm1yaVJyeTBsSHNQMEVoRllHd2d1ZgpNVGc9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K';
const STACK = { deployment: { account: '123456789012', region: 'eu-west-1' } };
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

type Mutable = { [key: string]: any };

function config(sessionFront: unknown): Mutable {
  return {
    issuers: [{ name: 'github', issuer: 'https://token.actions.githubusercontent.com', audience: ['gatehouse'] }],
    connections: [{
      name: 'staging', clusterName: 'staging', region: 'eu-west-1', endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthorityData: CA, roleArn: 'arn:aws:iam::123456789012:role/gatehouse/staging',
    }],
    sessionFront,
  };
}

function problemsOf(raw: unknown, options: ValidateGatewayConfigOptions = STACK): readonly string[] {
  try {
    validateGatewayConfig(raw, 'test.yaml', options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the sessionFront section', () => {
  it('is absent from the result when the file has none', () => {
    const { sessionFront, ...rest } = config(undefined);
    expect(sessionFront).toBeUndefined();
    expect(validateGatewayConfig(rest, 'test.yaml', STACK).sessionFront).toBeUndefined();
  });

  it('keeps only what was written (defaults are applied by the stack, not copied into the embedded configuration)', () => {
    expect(validateGatewayConfig(config({ enabled: true }), 'test.yaml', STACK).sessionFront).toEqual({ enabled: true });
  });

  it('keeps every field of a full section', () => {
    const section = {
      enabled: true, domainName: 'kube.example.com', certificateArn: CERT,
      vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], taskSubnetIds: ['subnet-0123456789abcdef2'],
      desiredCount: 3, maxCount: 10, cpu: 1024, memoryMiB: 2048, maxSessionsPerAgent: 8, maxSessionSeconds: 3600, allowedCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
    };
    expect(validateGatewayConfig(config(section), 'test.yaml', STACK).sessionFront).toEqual(section);
  });

  it('checks a disabled section too, so switching it on later brings no surprise', () => {
    expect(problemsOf(config({ enabled: false, cpu: 300 }))).toEqual(['sessionFront: cpu 300 is not a Fargate CPU size; use one of 256, 512, 1024, 2048, 4096']);
  });

  it.each([
    ['a section that is not a map', 'yes', 'sessionFront: must be a map of keys to values (an entry), got "yes"'],
    ['no enabled key', {}, 'sessionFront: missing required key "enabled"'],
    ['enabled as a string', { enabled: 'true' }, 'sessionFront: enabled must be true or false, got "true"'],
    ['a typo', { enabled: true, desiredCuont: 2 }, 'sessionFront: unknown key "desiredCuont"; did you mean "desiredCount"?'],
    ['a domain without a certificate', { enabled: true, domainName: 'kube.example.com' },
      'sessionFront: domainName needs certificateArn: the load balancer serves the name with an ACM certificate for it (or drop both to use the load balancer\'s own name and a deploy-time CA)'],
    ['a certificate without a domain', { enabled: true, certificateArn: CERT },
      'sessionFront: certificateArn needs domainName: the name the certificate is for, which clients connect to and the stack outputs'],
    ['a certificate in another region', { enabled: true, domainName: 'kube.example.com', certificateArn: CERT.replace('eu-west-1', 'us-east-1') },
      'sessionFront: certificateArn is in region us-east-1 but this stack deploys to eu-west-1; a load balancer uses ACM certificates of its own region only (request or import one there)'],
    ['a certificate that is not an ACM ARN', { enabled: true, domainName: 'kube.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
      'sessionFront: certificateArn "arn:aws:iam::123456789012:server-certificate/x" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)'],
    ['an uppercase domain with a trailing dot', { enabled: true, domainName: 'Kube.Example.com.', certificateArn: CERT },
      'sessionFront: domainName "Kube.Example.com." is not a DNS name such as kube.example.com (lowercase, no trailing dot)'],
    ['a VPC without subnets', { enabled: true, vpcId: 'vpc-0123456789abcdef0' },
      'sessionFront: vpcId needs publicSubnetIds: the subnets of the internet-facing load balancer, at least two in different AZs (the VPC is not looked up, so synth stays offline)'],
    ['a VPC with one public subnet', { enabled: true, vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-0123456789abcdef0'] },
      'sessionFront: publicSubnetIds lists 1 subnet; give at least two, in different AZs, so the front survives the loss of one'],
    ['subnets without a VPC', { enabled: true, taskSubnetIds: ['subnet-0123456789abcdef0'] },
      'sessionFront: taskSubnetIds needs vpcId: without it the stack creates its own VPC and subnets'],
    ['a VPC id that is a name', { enabled: true, vpcId: 'default', publicSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      'sessionFront: vpcId "default" is not a VPC id (vpc-0123456789abcdef0)'],
    ['a subnet listed twice', { enabled: true, vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef0'] },
      'sessionFront: publicSubnetIds lists "subnet-0123456789abcdef0" twice'],
    ['a bad subnet id', { enabled: true, vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-0123456789abcdef0', 'sn-1'] },
      'sessionFront: publicSubnetIds[1] "sn-1" is not a subnet id (subnet-0123456789abcdef0)'],
    ['no task', { enabled: true, desiredCount: 0 },
      'sessionFront: desiredCount 0 must be an integer from 1 to 100 (the tasks kept running while idle; autoscaling never goes below)'],
    ['a maximum below the default desired count', { enabled: true, maxCount: 1 },
      'sessionFront: maxCount 1 is below desiredCount 2 (the default); autoscaling runs between the two'],
    ['a maximum below the desired count', { enabled: true, desiredCount: 4, maxCount: 3 },
      'sessionFront: maxCount 3 is below desiredCount 4; autoscaling runs between the two'],
    ['memory that does not go with the default CPU', { enabled: true, memoryMiB: 512 },
      'sessionFront: memoryMiB 512 does not go with cpu 512 (the default); Fargate accepts 1024 to 4096 in steps of 1024'],
    ['memory that does not go with the CPU', { enabled: true, cpu: 256, memoryMiB: 4096 },
      'sessionFront: memoryMiB 4096 does not go with cpu 256; Fargate accepts 512, 1024, 2048'],
    ['no session per agent', { enabled: true, maxSessionsPerAgent: 0 },
      'sessionFront: maxSessionsPerAgent 0 must be an integer from 1 to 1000 (each session holds a connection to the front and one to the cluster for as long as it lasts)'],
    ['sessions of more than a day', { enabled: true, maxSessionSeconds: 86_401 },
      'sessionFront: maxSessionSeconds 86401 must be an integer from 60 to 86400 (an exec or port-forward holds a task and a cluster connection while it lasts; a day at most)'],
    ['an empty CIDR list', { enabled: true, allowedCidrs: [] },
      'sessionFront: allowedCidrs is empty, which would let nobody in; omit it to allow every address, or list at least one CIDR'],
    ['an address without a prefix', { enabled: true, allowedCidrs: ['203.0.113.7'] },
      'sessionFront: allowedCidrs[0] "203.0.113.7" is not an IPv4 CIDR such as 203.0.113.0/24 (the load balancer listens on IPv4)'],
    ['an IPv6 CIDR', { enabled: true, allowedCidrs: ['2001:db8::/32'] },
      'sessionFront: allowedCidrs[0] "2001:db8::/32" is not an IPv4 CIDR such as 203.0.113.0/24 (the load balancer listens on IPv4)'],
    ['an octet out of range', { enabled: true, allowedCidrs: ['10.0.0.256/32'] },
      'sessionFront: allowedCidrs[0] "10.0.0.256/32" is not an IPv4 CIDR: octets go up to 255 and the prefix up to 32'],
    ['a CIDR with host bits', { enabled: true, allowedCidrs: ['10.1.2.3/16'] },
      'sessionFront: allowedCidrs[0] "10.1.2.3/16" has host bits set; write 10.1.0.0/16'],
  ])('reports %s', (_, section, problem) => {
    expect(problemsOf(config(section))).toEqual([problem]);
  });

  it('skips the certificate region check when the stack region is not known', () => {
    expect(problemsOf(config({ enabled: true, domainName: 'kube.example.com', certificateArn: CERT.replace('eu-west-1', 'us-east-1') }), {})).toEqual([]);
  });

  it('accepts 0.0.0.0/0 and every memory size Fargate lists for each CPU', () => {
    for (const [cpu, sizes] of Object.entries(FARGATE_MEMORY_MIB)) {
      for (const memoryMiB of sizes) expect(problemsOf(config({ enabled: true, cpu: Number(cpu), memoryMiB, allowedCidrs: ['0.0.0.0/0'] }))).toEqual([]);
    }
    expect(FARGATE_MEMORY_MIB[4096]).toHaveLength(23);
  });
});
