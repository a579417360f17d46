import { AwsEndpointError, awsEndpointFor, awsPartitionOf, awsSigningRegionFor } from '../../../lambdas/core/aws/aws-endpoints';
import { BadRequestError } from '../../../lambdas/core/errors';

const connection = (endpoints?: Record<string, string>) => ({ name: 'prod-aws', endpoints });

describe('awsEndpointFor', () => {
  it.each([
    ['dynamodb', 'eu-west-1', 'https://dynamodb.eu-west-1.amazonaws.com/'],
    ['s3', 'us-east-1', 'https://s3.us-east-1.amazonaws.com/'],
    ['s3', 'eu-central-1', 'https://s3.eu-central-1.amazonaws.com/'],
    ['sts', 'ap-southeast-2', 'https://sts.ap-southeast-2.amazonaws.com/'],
    ['sts', 'aws-global', 'https://sts.amazonaws.com/'],
    ['iam', 'eu-west-1', 'https://iam.amazonaws.com/'],
    ['iam', 'cn-northwest-1', 'https://iam.cn-north-1.amazonaws.com.cn/'],
    ['iam', 'us-gov-east-1', 'https://iam.us-gov.amazonaws.com/'],
    ['monitoring', 'us-west-2', 'https://monitoring.us-west-2.amazonaws.com/'],
    ['ses', 'eu-west-1', 'https://email.eu-west-1.amazonaws.com/'],
    ['ecr', 'us-east-2', 'https://api.ecr.us-east-2.amazonaws.com/'],
    ['ecr-public', 'eu-west-1', 'https://api.ecr-public.us-east-1.amazonaws.com/'],
    ['mobiletargeting', 'us-east-1', 'https://pinpoint.us-east-1.amazonaws.com/'],
    ['route53', 'eu-west-3', 'https://route53.amazonaws.com/'],
    ['cloudfront', 'us-west-1', 'https://cloudfront.amazonaws.com/'],
    ['organizations', 'eu-west-1', 'https://organizations.us-east-1.amazonaws.com/'],
    ['secretsmanager', 'cn-north-1', 'https://secretsmanager.cn-north-1.amazonaws.com.cn/'],
    ['s3', 'cn-northwest-1', 'https://s3.cn-northwest-1.amazonaws.com.cn/'],
    ['lambda', 'us-gov-west-1', 'https://lambda.us-gov-west-1.amazonaws.com/'],
    ['kms', 'us-iso-east-1', 'https://kms.us-iso-east-1.c2s.ic.gov/'],
    ['kms', 'us-isob-east-1', 'https://kms.us-isob-east-1.sc2s.sgov.gov/'],
    ['ssm', 'eusc-de-east-1', 'https://ssm.eusc-de-east-1.amazonaws.eu/'],
  ])('sends %s in %s to %s', (service, region, expected) => {
    // Act
    const url = awsEndpointFor(connection(), service, region);

    // Assert
    expect(url.href).toBe(expected);
  });

  it('uses the connection\'s configured endpoint with {region} replaced', () => {
    // Arrange
    const conn = connection({ s3: 'https://bucket.vpce-0a1b2c3d.s3.{region}.vpce.amazonaws.com', sts: 'http://127.0.0.1:4566/sts' });

    // Act
    const s3 = awsEndpointFor(conn, 's3', 'eu-west-1');
    const sts = awsEndpointFor(conn, 'sts', 'eu-west-1');

    // Assert
    expect(s3.href).toBe('https://bucket.vpce-0a1b2c3d.s3.eu-west-1.vpce.amazonaws.com/');
    expect(sts.href).toBe('http://127.0.0.1:4566/sts');
  });

  it('does not take a configured endpoint from the object prototype', () => {
    // Act
    const url = awsEndpointFor(connection({}), 'constructor', 'us-east-1');

    // Assert
    expect(url.href).toBe('https://constructor.us-east-1.amazonaws.com/');
  });

  it.each([
    ['a service with a dot', 'evil.com#', 'us-east-1'],
    ['a service with a slash', 's3/', 'us-east-1'],
    ['an upper-case region', 's3', 'US-EAST-1'],
    ['a region naming a host', 's3', 'us-east-1.evil.com'],
    ['a region with @', 'sts', 'x@evil'],
    ['an empty service', '', 'us-east-1'],
    ['a region of 65 characters', 'sts', 'a'.repeat(65)],
    ['a region with a newline', 'sts', 'us-east-1\n'],
  ])('refuses %s with a 400 before it reaches a host name', (_name, service, region) => {
    // Act
    const call = () => awsEndpointFor(connection(), service, region);

    // Assert
    expect(call).toThrow(AwsEndpointError);
    expect(call).toThrow(BadRequestError);
  });

  it.each([
    ['not a URL', 'not a url'],
    ['with credentials', 'https://user:pw@sts.example.com'],
    ['with a query', 'https://sts.example.com/?x=1'],
    ['with another scheme', 'ftp://sts.example.com'],
  ])('refuses a configured endpoint %s', (_name, endpoint) => {
    // Act
    const call = () => awsEndpointFor(connection({ sts: endpoint }), 'sts', 'us-east-1');

    // Assert
    expect(call).toThrow(/awsConnections\[\]\.endpoints/);
  });

  it('refuses a regional service for the aws-global pseudo-region', () => {
    expect(() => awsEndpointFor(connection(), 'dynamodb', 'aws-global')).toThrow(AwsEndpointError);
  });
});

describe('awsSigningRegionFor', () => {
  it.each([
    ['iam', 'eu-west-1', 'us-east-1'],
    ['iam', 'cn-northwest-1', 'cn-north-1'],
    ['iam', 'us-gov-east-1', 'us-gov-west-1'],
    ['route53', 'cn-north-1', 'cn-northwest-1'],
    ['cloudfront', 'ap-south-1', 'us-east-1'],
    ['sts', 'aws-global', 'us-east-1'],
    ['sts', 'eu-west-1', 'eu-west-1'],
    ['s3', 'eu-west-2', 'eu-west-2'],
    ['dynamodb', 'cn-north-1', 'cn-north-1'],
  ])('signs %s called in %s for %s', (service, region, expected) => {
    expect(awsSigningRegionFor(service, region)).toBe(expected);
  });

  it('is stable when given its own answer (callers may pass either region)', () => {
    for (const region of ['eu-west-1', 'cn-northwest-1', 'us-gov-east-1']) {
      const once = awsSigningRegionFor('route53', region);
      expect(awsSigningRegionFor('route53', once)).toBe(once);
    }
  });

  it('refuses a region that is not a plain identifier', () => {
    expect(() => awsSigningRegionFor('iam', 'us-east-1/')).toThrow(AwsEndpointError);
  });
});

describe('awsPartitionOf', () => {
  it.each([
    ['us-east-1', 'aws', 'amazonaws.com'],
    ['cn-north-1', 'aws-cn', 'amazonaws.com.cn'],
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com'],
    ['us-isob-east-1', 'aws-iso-b', 'sc2s.sgov.gov'],
    ['eu-isoe-west-1', 'aws-iso-e', 'cloud.adc-e.uk'],
    ['us-isof-south-1', 'aws-iso-f', 'csp.hci.ic.gov'],
    ['xx-new-9', 'aws', 'amazonaws.com'],
  ])('puts %s in %s', (region, id, dnsSuffix) => {
    expect(awsPartitionOf(region)).toEqual({ id, dnsSuffix });
  });
});
