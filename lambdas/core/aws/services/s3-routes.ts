import type { AwsCallInput } from '../aws-request-info';
import { type ArnContext, type ProtocolClassification, MAX_DECODED_BODY_BYTES, MAX_RESOURCES } from './aws-service-spec';

/**
 * S3's REST-XML routes, path-style only (`/bucket`, `/bucket/key`: docs/AWS.md has agents set
 * `addressing_style = path`, since a virtual-hosted bucket would need the bucket in Gatehouse's host name).
 * S3 picks the operation from the method, whether a bucket and a key are named, and one "sub-resource" query
 * parameter (`?tagging`, `?uploads`, ...). A call with two such parameters, or one S3 does not pair with the
 * method, is unknown (''): S3's own precedence between them is not documented, so guessing could show policy
 * a `GetBucketTagging` that S3 runs as something else.
 */

/** Query names that select an operation. `partNumber` is not one: GetObject and HeadObject take it as a plain parameter. */
const SELECTORS = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'list-type', 'location', 'logging', 'metadataTable', 'metrics', 'notification',
  'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
  'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'uploadId', 'uploads', 'versioning', 'versions',
  'website',
]);

// `<METHOD> <selector>` -> operation; '' is "no selector". Maps, so a selector named like an Object property finds nothing.
const BUCKET_OPERATIONS = new Map<string, string>([
  ['GET ', 'ListObjects'], ['GET list-type', 'ListObjectsV2'], ['GET location', 'GetBucketLocation'],
  ['GET policy', 'GetBucketPolicy'], ['GET policyStatus', 'GetBucketPolicyStatus'], ['GET tagging', 'GetBucketTagging'],
  ['GET acl', 'GetBucketAcl'], ['GET versioning', 'GetBucketVersioning'], ['GET lifecycle', 'GetBucketLifecycleConfiguration'],
  ['GET cors', 'GetBucketCors'], ['GET encryption', 'GetBucketEncryption'], ['GET versions', 'ListObjectVersions'],
  ['GET uploads', 'ListMultipartUploads'], ['GET website', 'GetBucketWebsite'], ['GET logging', 'GetBucketLogging'],
  ['GET notification', 'GetBucketNotificationConfiguration'], ['GET replication', 'GetBucketReplication'],
  ['GET requestPayment', 'GetBucketRequestPayment'], ['GET accelerate', 'GetBucketAccelerateConfiguration'],
  ['GET ownershipControls', 'GetBucketOwnershipControls'], ['GET publicAccessBlock', 'GetPublicAccessBlock'],
  ['GET object-lock', 'GetObjectLockConfiguration'],
  ['PUT ', 'CreateBucket'], ['PUT policy', 'PutBucketPolicy'], ['PUT tagging', 'PutBucketTagging'], ['PUT acl', 'PutBucketAcl'],
  ['PUT versioning', 'PutBucketVersioning'], ['PUT lifecycle', 'PutBucketLifecycleConfiguration'], ['PUT cors', 'PutBucketCors'],
  ['PUT encryption', 'PutBucketEncryption'], ['PUT website', 'PutBucketWebsite'], ['PUT logging', 'PutBucketLogging'],
  ['PUT notification', 'PutBucketNotificationConfiguration'], ['PUT replication', 'PutBucketReplication'],
  ['PUT requestPayment', 'PutBucketRequestPayment'], ['PUT accelerate', 'PutBucketAccelerateConfiguration'],
  ['PUT ownershipControls', 'PutBucketOwnershipControls'], ['PUT publicAccessBlock', 'PutPublicAccessBlock'],
  ['PUT object-lock', 'PutObjectLockConfiguration'],
  ['DELETE ', 'DeleteBucket'], ['DELETE policy', 'DeleteBucketPolicy'], ['DELETE tagging', 'DeleteBucketTagging'],
  ['DELETE lifecycle', 'DeleteBucketLifecycle'], ['DELETE cors', 'DeleteBucketCors'], ['DELETE encryption', 'DeleteBucketEncryption'],
  ['DELETE website', 'DeleteBucketWebsite'], ['DELETE replication', 'DeleteBucketReplication'],
  ['DELETE ownershipControls', 'DeleteBucketOwnershipControls'], ['DELETE publicAccessBlock', 'DeletePublicAccessBlock'],
  ['HEAD ', 'HeadBucket'], ['POST delete', 'DeleteObjects'],
]);

// The bucket configurations addressed by `id`: with one it is Get/Put/Delete of that configuration, without it the list.
const ID_CONFIGURATIONS = new Map<string, string>([
  ['analytics', 'BucketAnalyticsConfiguration'], ['inventory', 'BucketInventoryConfiguration'],
  ['metrics', 'BucketMetricsConfiguration'], ['intelligent-tiering', 'BucketIntelligentTieringConfiguration'],
]);

const OBJECT_OPERATIONS = new Map<string, string>([
  ['GET ', 'GetObject'], ['GET uploadId', 'ListParts'], ['GET tagging', 'GetObjectTagging'], ['GET acl', 'GetObjectAcl'],
  ['GET attributes', 'GetObjectAttributes'], ['GET retention', 'GetObjectRetention'], ['GET legal-hold', 'GetObjectLegalHold'],
  ['GET torrent', 'GetObjectTorrent'],
  ['HEAD ', 'HeadObject'],
  ['PUT ', 'PutObject'], ['PUT uploadId', 'UploadPart'], ['PUT tagging', 'PutObjectTagging'], ['PUT acl', 'PutObjectAcl'],
  ['PUT retention', 'PutObjectRetention'], ['PUT legal-hold', 'PutObjectLegalHold'],
  ['POST uploads', 'CreateMultipartUpload'], ['POST uploadId', 'CompleteMultipartUpload'], ['POST restore', 'RestoreObject'],
  ['POST select', 'SelectObjectContent'],
  ['DELETE ', 'DeleteObject'], ['DELETE uploadId', 'AbortMultipartUpload'], ['DELETE tagging', 'DeleteObjectTagging'],
]);

// Names of buckets S3 has ever allowed (legacy us-east-1 ones had upper case and underscores), beginning and
// ending with a letter or digit: `.` and `..` are never buckets, so a dot segment is not read as one.
const BUCKET_NAME = /^(?=[A-Za-z0-9])[A-Za-z0-9._-]{1,255}(?<=[A-Za-z0-9])$/;

const UNKNOWN: ProtocolClassification = { protocol: 'restXml', action: '', resources: [], params: undefined };

/** Classifies a path-style S3 call. Never throws: a path S3 could not read either is unknown with params undefined. */
export function classifyS3(input: AwsCallInput, ctx: ArnContext): ProtocolClassification {
  const rest = input.path.startsWith('/') ? input.path.slice(1) : input.path;
  const slash = rest.indexOf('/');
  // S3 decodes the path once: `%2F` in a key is a slash of the key, `..` is two dots, nothing is normalised.
  const bucket = decodeOnce(slash >= 0 ? rest.slice(0, slash) : rest);
  const key = decodeOnce(slash >= 0 ? rest.slice(slash + 1) : '');
  if (bucket === undefined || key === undefined) return UNKNOWN;
  const query = queryObject(input.query);
  if (!query) return UNKNOWN;

  const selectors = Object.keys(query).filter((name) => SELECTORS.has(name));
  if (bucket === '') {
    // ListBuckets takes plain parameters (max-buckets, continuation-token, prefix) but no sub-resource.
    const action = key === '' && input.method === 'GET' && selectors.length === 0 ? 'ListBuckets' : '';
    return { protocol: 'restXml', action, resources: [], params: action ? query : undefined };
  }
  if (!BUCKET_NAME.test(bucket)) return UNKNOWN;
  if (selectors.length > 1) return { ...UNKNOWN, resources: [bucketArn(ctx, bucket)] };
  const selector = selectors[0] ?? '';
  const copySources = headerValues(input.headers, 'x-amz-copy-source');
  // Two copy sources: which one S3 copies from cannot be told, and without it the call is no longer a copy.
  if (copySources.length > 1) return { ...UNKNOWN, resources: [bucketArn(ctx, bucket)] };
  const copySource = copySources[0];
  const params = { ...query, ...(copySource !== undefined ? { CopySource: copySource } : {}), Bucket: bucket, ...(key !== '' ? { Key: key } : {}) };

  if (key === '') {
    const action = bucketOperation(input.method, selector, query);
    const resources = [bucketArn(ctx, bucket)];
    if (action === 'DeleteObjects') resources.push(...deletedKeys(input.body).map((k) => objectArn(ctx, bucket, k)));
    return { protocol: 'restXml', action, resources, params: action ? params : undefined };
  }

  const action = objectOperation(input.method, selector, query, copySource !== undefined);
  // A copy reads its source: listed after the object it writes.
  const resources = [objectArn(ctx, bucket, key), action === 'CopyObject' || action === 'UploadPartCopy' ? copySourceArn(ctx, copySource) : undefined];
  return { protocol: 'restXml', action, resources, params: action ? params : undefined };
}

function bucketOperation(method: string, selector: string, query: Readonly<Record<string, string>>): string {
  const configuration = ID_CONFIGURATIONS.get(selector);
  if (configuration !== undefined) {
    const hasId = Object.prototype.hasOwnProperty.call(query, 'id');
    if (method === 'GET') return hasId ? `Get${configuration}` : `List${configuration}s`;
    if (method === 'PUT' && hasId) return `Put${configuration}`;
    if (method === 'DELETE' && hasId) return `Delete${configuration}`;
    return '';
  }
  // ListObjectsV2 is `list-type=2`; S3 has no other list type.
  if (selector === 'list-type' && query['list-type'] !== '2') return '';
  return BUCKET_OPERATIONS.get(`${method} ${selector}`) ?? '';
}

function objectOperation(method: string, selector: string, query: Readonly<Record<string, string>>, copy: boolean): string {
  const hasPartNumber = Object.prototype.hasOwnProperty.call(query, 'partNumber');
  if (method === 'PUT' && selector === 'uploadId') {
    if (!hasPartNumber) return '';
    return copy ? 'UploadPartCopy' : 'UploadPart';
  }
  // A part number on a PUT outside a multipart upload is no S3 operation.
  if (method === 'PUT' && hasPartNumber) return '';
  if (method === 'PUT' && selector === '' && copy) return 'CopyObject';
  if (selector === 'select' && query['select-type'] !== '2') return '';
  return OBJECT_OPERATIONS.get(`${method} ${selector}`) ?? '';
}

export function bucketArn(ctx: ArnContext, bucket: string): string {
  return `arn:${ctx.partition}:s3:::${bucket}`;
}

export function objectArn(ctx: ArnContext, bucket: string, key: string): string {
  return `arn:${ctx.partition}:s3:::${bucket}/${key}`;
}

/** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded as S3 requires: its object's ARN. */
function copySourceArn(ctx: ArnContext, header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const withoutVersion = header.split('?')[0];
  const decoded = decodeOnce(withoutVersion.startsWith('/') ? withoutVersion.slice(1) : withoutVersion);
  if (decoded === undefined) return undefined;
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) return undefined;
  const bucket = decoded.slice(0, slash);
  return BUCKET_NAME.test(bucket) ? objectArn(ctx, bucket, decoded.slice(slash + 1)) : undefined;
}

/** The keys of a DeleteObjects body (`<Delete><Object><Key>k</Key>...`), at most as many as the resource list holds. */
export function deletedKeys(body: Buffer): string[] {
  if (body.length === 0 || body.length > MAX_DECODED_BODY_BYTES) return [];
  const text = body.toString('utf8');
  const keys: string[] = [];
  const pattern = /<Key>([\s\S]*?)<\/Key>/g;
  for (let match = pattern.exec(text); match && keys.length < MAX_RESOURCES - 1; match = pattern.exec(text)) {
    const key = xmlText(match[1]);
    if (key !== undefined && key !== '') keys.push(key);
  }
  return keys;
}

/** XML character data: CDATA kept as is, the five named entities and numeric references decoded, anything else refused. */
function xmlText(raw: string): string | undefined {
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(raw);
  if (cdata) return cdata[1];
  if (raw.includes('<')) return undefined;
  let bad = false;
  const text = raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);|&/g, (all, entity: string | undefined) => {
    if (entity === undefined) {
      bad = true;
      return all;
    }
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (entity in named) return named[entity];
    const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    if (!(code >= 0 && code <= 0x10ffff)) {
      bad = true;
      return all;
    }
    return String.fromCodePoint(code);
  });
  return bad ? undefined : text;
}

function decodeOnce(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The query as an object; undefined when a name repeats (S3 would read one of the values, policy might read another). */
function queryObject(pairs: AwsCallInput['query']): Readonly<Record<string, string>> | undefined {
  const seen = new Set<string>();
  for (const [name] of pairs) {
    if (seen.has(name)) return undefined;
    seen.add(name);
  }
  return Object.fromEntries(pairs);
}

function headerValues(headers: AwsCallInput['headers'], name: string): readonly string[] {
  return Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] : [];
}
