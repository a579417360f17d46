import { Buffer } from 'node:buffer';
import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput } from '../../../lambdas/core/aws/aws-request-info';

/** An S3 call, path-style; `target` is `path?query` with the query given decoded, as the proxy hands it over. */
function s3(method: string, target: string, headers: Record<string, string[]> = {}, body = ''): AwsCallInput {
  const [path, search = ''] = target.split(/\?(.*)/s);
  const query = search === '' ? [] : search.split('&').map((p): [string, string] => {
    const eq = p.indexOf('=');
    return eq >= 0 ? [p.slice(0, eq), p.slice(eq + 1)] : [p, ''];
  });
  return { method, path, query, headers, body: Buffer.from(body), service: 's3', region: 'us-east-1', accountId: '111122223333' };
}

const B = 'arn:aws:s3:::photos';
const O = (key: string): string => `${B}/${key}`;
const COPY = { 'x-amz-copy-source': ['/src-bucket/a%20b.txt?versionId=3'] };

describe('classifyAwsRequest: S3', () => {
  it.each<[string, string, Record<string, string[]>, string, readonly string[]]>([
    ['GET', '/', {}, 'ListBuckets', []],
    ['GET', '/?max-buckets=10', {}, 'ListBuckets', []],
    ['PUT', '/photos', {}, 'CreateBucket', [B]],
    ['DELETE', '/photos', {}, 'DeleteBucket', [B]],
    ['HEAD', '/photos', {}, 'HeadBucket', [B]],
    ['GET', '/photos?location', {}, 'GetBucketLocation', [B]],
    ['GET', '/photos', {}, 'ListObjects', [B]],
    ['GET', '/photos/', {}, 'ListObjects', [B]],
    ['GET', '/photos?prefix=2024/&delimiter=/', {}, 'ListObjects', [B]],
    ['GET', '/photos?list-type=2&prefix=a', {}, 'ListObjectsV2', [B]],
    ['GET', '/photos?versions', {}, 'ListObjectVersions', [B]],
    ['GET', '/photos?uploads', {}, 'ListMultipartUploads', [B]],
    ['GET', '/photos?policy', {}, 'GetBucketPolicy', [B]],
    ['PUT', '/photos?policy', {}, 'PutBucketPolicy', [B]],
    ['DELETE', '/photos?policy', {}, 'DeleteBucketPolicy', [B]],
    ['GET', '/photos?tagging', {}, 'GetBucketTagging', [B]],
    ['PUT', '/photos?tagging', {}, 'PutBucketTagging', [B]],
    ['DELETE', '/photos?tagging', {}, 'DeleteBucketTagging', [B]],
    ['PUT', '/photos?versioning', {}, 'PutBucketVersioning', [B]],
    ['GET', '/photos?versioning', {}, 'GetBucketVersioning', [B]],
    ['PUT', '/photos?lifecycle', {}, 'PutBucketLifecycleConfiguration', [B]],
    ['DELETE', '/photos?lifecycle', {}, 'DeleteBucketLifecycle', [B]],
    ['PUT', '/photos?acl', {}, 'PutBucketAcl', [B]],
    ['PUT', '/photos?cors', {}, 'PutBucketCors', [B]],
    ['PUT', '/photos?encryption', {}, 'PutBucketEncryption', [B]],
    ['PUT', '/photos?publicAccessBlock', {}, 'PutPublicAccessBlock', [B]],
    ['GET', '/photos?inventory', {}, 'ListBucketInventoryConfigurations', [B]],
    ['PUT', '/photos?inventory&id=daily', {}, 'PutBucketInventoryConfiguration', [B]],
    ['GET', '/photos/a.jpg', {}, 'GetObject', [O('a.jpg')]],
    ['GET', '/photos/a.jpg?partNumber=2', {}, 'GetObject', [O('a.jpg')]],
    ['HEAD', '/photos/a.jpg', {}, 'HeadObject', [O('a.jpg')]],
    ['PUT', '/photos/a.jpg', {}, 'PutObject', [O('a.jpg')]],
    ['PUT', '/photos/a.jpg', COPY, 'CopyObject', [O('a.jpg'), 'arn:aws:s3:::src-bucket/a b.txt']],
    ['DELETE', '/photos/a.jpg', {}, 'DeleteObject', [O('a.jpg')]],
    ['DELETE', '/photos/a.jpg?versionId=3', {}, 'DeleteObject', [O('a.jpg')]],
    ['GET', '/photos/a.jpg?tagging', {}, 'GetObjectTagging', [O('a.jpg')]],
    ['PUT', '/photos/a.jpg?tagging', {}, 'PutObjectTagging', [O('a.jpg')]],
    ['DELETE', '/photos/a.jpg?tagging', {}, 'DeleteObjectTagging', [O('a.jpg')]],
    ['GET', '/photos/a.jpg?acl', {}, 'GetObjectAcl', [O('a.jpg')]],
    ['POST', '/photos/big.bin?uploads', {}, 'CreateMultipartUpload', [O('big.bin')]],
    ['PUT', '/photos/big.bin?partNumber=1&uploadId=u1', {}, 'UploadPart', [O('big.bin')]],
    ['PUT', '/photos/big.bin?partNumber=1&uploadId=u1', COPY, 'UploadPartCopy', [O('big.bin'), 'arn:aws:s3:::src-bucket/a b.txt']],
    ['POST', '/photos/big.bin?uploadId=u1', {}, 'CompleteMultipartUpload', [O('big.bin')]],
    ['DELETE', '/photos/big.bin?uploadId=u1', {}, 'AbortMultipartUpload', [O('big.bin')]],
    ['GET', '/photos/big.bin?uploadId=u1', {}, 'ListParts', [O('big.bin')]],
    ['POST', '/photos/a.jpg?restore', {}, 'RestoreObject', [O('a.jpg')]],
  ])('classifies %s %s as its operation', (method, target, headers, action, resources) => {
    const info = classifyAwsRequest(s3(method, target, headers));
    expect(info).toMatchObject({ service: 's3', protocol: 'restXml', action, iamAction: `s3:${action}`, resources });
  });

  it.each<[string, string, string, Record<string, string[]>]>([
    ['a HEAD of the service', 'HEAD', '/', {}],
    ['a sub-resource on the service', 'GET', '/?policy', {}],
    ['two sub-resources', 'GET', '/photos?policy&tagging', {}],
    ['a list type that is not 2', 'GET', '/photos?list-type=3', {}],
    ['a bucket POST without ?delete (a browser form upload)', 'POST', '/photos', {}],
    ['an object POST without a sub-resource', 'POST', '/photos/a.jpg', {}],
    ['an upload id on a PUT without a part number', 'PUT', '/photos/a.jpg?uploadId=u1', {}],
    ['a part number on a PUT outside an upload', 'PUT', '/photos/a.jpg?partNumber=1', {}],
    ['a sub-resource S3 does not pair with the method', 'DELETE', '/photos?location', {}],
    ['a method S3 does not have', 'PATCH', '/photos/a.jpg', {}],
    ['a repeated query parameter', 'GET', '/photos?prefix=a&prefix=b', {}],
    ['two copy sources', 'PUT', '/photos/a.jpg', { 'x-amz-copy-source': ['/a/x', '/b/y'] }],
    ['a bucket name with characters S3 never allowed', 'GET', '/pho%20tos', {}],
    ['a bucket holding an encoded slash', 'GET', '/pho%2Ftos/a', {}],
    ['a bad percent escape in the key', 'GET', '/photos/a%ZZ', {}],
    ['a key without a bucket', 'GET', '//a.jpg', {}],
    ['a dot-dot segment where the bucket goes', 'GET', '/../photos/a.jpg', {}],
    ['an encoded dot segment where the bucket goes', 'GET', '/%2e/photos/a.jpg', {}],
  ])('gives an unknown action for %s', (_case, method, target, headers) => {
    expect(classifyAwsRequest(s3(method, target, headers))).toMatchObject({ action: '', iamAction: 's3:', params: undefined });
  });

  it.each<[string, string]>([
    ['/photos/a/../../etc/passwd', 'a/../../etc/passwd'],
    ['/photos/./a', './a'],
    ['/photos/dir%2Fsub%2Ffile.txt', 'dir/sub/file.txt'],
    ['/photos/dir/sub/file.txt', 'dir/sub/file.txt'],
    ['/photos//leading-slash', '/leading-slash'],
    ['/photos/trailing/', 'trailing/'],
    ['/photos/caf%C3%A9%20menu+1.txt', 'café menu+1.txt'],
    ['/photos/100%25', '100%'],
    ['/photos/%2525', '%25'],
  ])('keeps the key of %s literally, decoded once as S3 does', (path, key) => {
    const info = classifyAwsRequest(s3('GET', path));
    expect(info).toMatchObject({ action: 'GetObject', resources: [O(key)], params: { Bucket: 'photos', Key: key } });
  });

  it('gives the query and the copy source as params, Bucket and Key from the path winning', () => {
    const info = classifyAwsRequest(s3('PUT', '/photos/a.jpg?Bucket=other&Key=x', COPY));
    expect(info.params).toEqual({ Bucket: 'photos', Key: 'a.jpg', CopySource: '/src-bucket/a%20b.txt?versionId=3' });
  });

  it('gives a bucket operation its query without a Key', () => {
    expect(classifyAwsRequest(s3('GET', '/photos?list-type=2&prefix=a')).params).toEqual({ Bucket: 'photos', 'list-type': '2', prefix: 'a' });
  });

  it('names the bucket and each key DeleteObjects deletes, entities decoded', () => {
    const body = '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.jpg</Key></Object>'
      + '<Object><Key>prot&#101;cted/x&amp;y</Key><VersionId>3</VersionId></Object><Object><Key><![CDATA[c<d]]></Key></Object><Quiet>true</Quiet></Delete>';
    const info = classifyAwsRequest(s3('POST', '/photos?delete', {}, body));
    expect(info).toMatchObject({ action: 'DeleteObjects', resources: [B, O('a.jpg'), O('protected/x&y'), O('c<d')] });
  });

  it('names all 1,000 keys S3 lets one DeleteObjects delete, so a deny on the last one still applies', () => {
    const body = `<Delete>${Array.from({ length: 1000 }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('')}</Delete>`;
    const info = classifyAwsRequest(s3('POST', '/photos?delete', {}, body));
    expect(info).toMatchObject({ action: 'DeleteObjects' });
    expect(info.resources).toHaveLength(1001);
    expect(info.resources.slice(0, 2)).toEqual([B, O('k0')]);
    expect(info.resources[1000]).toBe(O('k999'));
  });

  it('makes a DeleteObjects naming more keys than could be listed an unknown action, so policy never judges part of it', () => {
    const body = `<Delete>${Array.from({ length: 1500 }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('')}</Delete>`;
    const info = classifyAwsRequest(s3('POST', '/photos?delete', {}, body));
    expect(info).toMatchObject({ action: '', iamAction: 's3:' });
  });

  it('names only the bucket of a DeleteObjects whose body is not XML it can read', () => {
    expect(classifyAwsRequest(s3('POST', '/photos?delete', {}, '<Delete><Object><Key>a&bogus;</Key></Object></Delete>')).resources).toEqual([B]);
  });

  it('writes the summary on one line even when a key holds a newline', () => {
    const info = classifyAwsRequest(s3('GET', '/photos/a%0Ab'));
    expect(info.resources).toEqual([O('a\nb')]);
    expect(info.summary).toBe(`s3:GetObject ${O('a?b')}`);
  });
});
