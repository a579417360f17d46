import type { AwsRequestInfo } from '../../core/aws/aws-request-info';
import { UpstreamResponseError } from '../../core/errors';
import type { UpstreamStream } from '../../core/ports';

/** Headers of an AWS answer that never reach the agent: the connection's own, and those Gatehouse sets itself. */
const DROPPED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'set-cookie', 'strict-transport-security', 'alt-svc', 'server', 'date',
]);
/** What HTTP allows in a header value: anything else is dropped rather than risk header injection. */
const VALID_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The service's response headers as the SDK needs them (request ids, `x-amz-*` object metadata and checksums,
 * ETag, ranges, content type and length), minus hop-by-hop and connection headers; one string each, lower-cased.
 */
export function awsResponseHeaders(upstream: Readonly<Record<string, string | readonly string[] | undefined>>): Record<string, string> {
  const hopByHop = new Set<string>();
  const connection = Object.entries(upstream).find(([name]) => name.toLowerCase() === 'connection')?.[1];
  for (const value of Array.isArray(connection) ? connection : connection ? [connection] : []) {
    for (const name of String(value).split(',')) if (name.trim()) hopByHop.add(name.trim().toLowerCase());
  }
  const out: Record<string, string> = {};
  for (const [raw, value] of Object.entries(upstream)) {
    const name = raw.toLowerCase();
    if (value === undefined || DROPPED.has(name) || hopByHop.has(name)) continue;
    const values = (Array.isArray(value) ? value : [value as string]).filter((v) => VALID_VALUE.test(v));
    if (values.length) out[name] = values.join(', ');
  }
  return out;
}

/** S3 actions whose successful answer is object data: bytes to pass on, not a document to mask. */
const OBJECT_DATA_ACTIONS = new Set(['GetObject', 'GetObjectTorrent']);

/** Whether the answer is object data (passed through as it streams, never kept in a replay blob). */
export function isObjectData(info: AwsRequestInfo, status: number): boolean {
  return info.service === 's3' && OBJECT_DATA_ACTIONS.has(info.action) && (status === 200 || status === 206);
}

/** Reads a whole (textual) answer, refusing one past `maxBytes` rather than buffering without end. */
export async function readWhole(upstream: UpstreamStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new UpstreamResponseError(`The service's answer is over Gatehouse's limit of ${maxBytes} bytes; ask for less at a time (paginate with a smaller page size).`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
