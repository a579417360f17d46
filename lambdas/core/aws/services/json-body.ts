import { hasDuplicateJsonKeys } from '../../policy/json-duplicate-keys';
import { MAX_DECODED_BODY_BYTES, isPlainObject } from './aws-service-spec';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON object a JSON-protocol body carries: `{}` for an empty body (the SDKs send none for operations
 * without input members), undefined when it is not one JSON object in valid UTF-8, repeats a key (policy and
 * the service could each read a different one of the two), or is larger than MAX_DECODED_BODY_BYTES.
 */
export function decodeJsonObject(body: Buffer): Readonly<Record<string, unknown>> | undefined {
  if (body.length === 0) return {};
  if (body.length > MAX_DECODED_BODY_BYTES) return undefined;
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(body);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || hasDuplicateJsonKeys(text)) return undefined;
  return value;
}
