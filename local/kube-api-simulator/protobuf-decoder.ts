import { DECODABLE_KINDS, MESSAGES, type FieldSpec } from './protobuf-schemas';
import { badRequest, KubeApiError } from './status-errors';
import type { JsonObject, JsonValue } from './types';

/** The 4-byte prefix of every Kubernetes protobuf body ("k8s" and a zero byte). */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The Kubernetes protobuf media type, which kubectl's typed clients use for request bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** 415 in the real format, plus what exactly the simulator could not decode. */
function cannotDecode(why: string): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the Gatehouse simulator cannot decode ${why}; send JSON)`,
  );
}

interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** varint value, or the bytes of a length-delimited field. */
  readonly varint?: bigint;
  readonly bytes?: Buffer;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('unable to decode protobuf body: truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw badRequest('unable to decode protobuf body: varint too long');
    }
  }

  field(): WireField {
    const key = Number(this.varint());
    const number = key >>> 3;
    const wireType = key & 7;
    switch (wireType) {
      case 0:
        return { number, wireType, varint: this.varint() };
      case 2: {
        const len = Number(this.varint());
        if (this.pos + len > this.buf.length) throw badRequest('unable to decode protobuf body: truncated field');
        const bytes = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
        return { number, wireType, bytes };
      }
      case 1:
        this.pos += 8;
        return { number, wireType };
      case 5:
        this.pos += 4;
        return { number, wireType };
      default:
        throw badRequest(`unable to decode protobuf body: unsupported wire type ${wireType}`);
    }
  }
}

function fields(buf: Buffer): WireField[] {
  const r = new Reader(buf);
  const out: WireField[] = [];
  while (!r.done) out.push(r.field());
  return out;
}

/** A varint as a signed 64-bit number (negative int32s arrive as 10-byte two's complement). */
function signed(v: bigint): number {
  return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
}

function str(f: WireField): string {
  return (f.bytes ?? Buffer.alloc(0)).toString('utf8');
}

/** Reads a map entry message (key = 1, value = 2). */
function mapEntry(f: WireField): { key: string; value: Buffer } {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
    if (e.number === 1) key = str(e);
    else if (e.number === 2) value = e.bytes ?? Buffer.alloc(0);
  }
  return { key, value };
}

function isZero(f: WireField): boolean {
  return f.wireType === 0 ? f.varint === 0n : f.wireType === 2 ? (f.bytes?.length ?? 0) === 0 : false;
}

function scalar(spec: FieldSpec, f: WireField, message: string): JsonValue | undefined {
  switch (spec.kind) {
    case 'string':
      return str(f);
    case 'int':
      return signed(f.varint ?? 0n);
    case 'bool':
      return (f.varint ?? 0n) !== 0n;
    case 'time': {
      const t = fields(f.bytes ?? Buffer.alloc(0)).find((x) => x.number === 1);
      const seconds = t ? signed(t.varint ?? 0n) : 0;
      // A zero metav1.Time is how Go marshals "unset"; JSON has null there, which we drop.
      return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'intOrString': {
      const parts = fields(f.bytes ?? Buffer.alloc(0));
      const type = parts.find((x) => x.number === 1)?.varint ?? 0n;
      if (type === 1n) return str(parts.find((x) => x.number === 3) ?? { number: 3, wireType: 2 });
      return signed(parts.find((x) => x.number === 2)?.varint ?? 0n);
    }
    case 'fieldsV1': {
      const raw = fields(f.bytes ?? Buffer.alloc(0)).find((x) => x.number === 1)?.bytes;
      return raw && raw.length ? (JSON.parse(raw.toString('utf8')) as JsonValue) : {};
    }
    case 'message':
      return decodeMessage(spec.message!, f.bytes ?? Buffer.alloc(0));
    default:
      throw cannotDecode(`protobuf field ${message}.${spec.json}`);
  }
}

/** Decodes one message of a known schema into JSON with the real field names. */
export function decodeMessage(name: string, buf: Buffer): JsonObject {
  const schema = MESSAGES[name];
  if (!schema) throw cannotDecode(`protobuf message ${name}`);
  const out: JsonObject = {};
  for (const f of fields(buf)) {
    const spec = schema[f.number];
    if (!spec) {
      // gogo-generated marshalers always write non-pointer fields, so zero values of fields this
      // simulator does not model are normal; anything else would be data silently lost.
      if (isZero(f)) continue;
      throw cannotDecode(`protobuf field ${f.number} of ${name}`);
    }
    if (spec.kind === 'skip') continue;
    if (spec.kind === 'mapString' || spec.kind === 'mapBytes' || spec.kind === 'mapQuantity') {
      const target = (out[spec.json] ?? {}) as JsonObject;
      const { key, value } = mapEntry(f);
      if (spec.kind === 'mapBytes') target[key] = value.toString('base64');
      else if (spec.kind === 'mapQuantity') target[key] = str(fields(value).find((x) => x.number === 1) ?? { number: 1, wireType: 2 });
      else target[key] = value.toString('utf8');
      out[spec.json] = target;
      continue;
    }
    const value = scalar(spec, f, name);
    if (value === undefined) continue;
    if (spec.repeated) {
      const list = (out[spec.json] ?? []) as JsonValue[];
      list.push(value);
      out[spec.json] = list;
    } else if (spec.kind === 'message' || spec.ptr || !isZero(f)) {
      out[spec.json] = value;
    }
  }
  return out;
}

/**
 * Decodes a Kubernetes protobuf body (`k8s\0` + runtime.Unknown{typeMeta, raw}) into the JSON object
 * the same request would have carried, for the kinds kubectl's typed clients send. Anything else is a
 * 415 telling the client to send JSON.
 */
export function decodeKubernetesProtobuf(body: Buffer): JsonObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('unable to decode protobuf body: missing the "k8s\\x00" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(MAGIC.length))) {
    if (f.number === 1) {
      for (const t of fields(f.bytes ?? Buffer.alloc(0))) {
        if (t.number === 1) apiVersion = str(t);
        else if (t.number === 2) kind = str(t);
      }
    } else if (f.number === 2) raw = f.bytes ?? Buffer.alloc(0);
    else if (f.number === 3 && !isZero(f)) throw cannotDecode(`protobuf content encoding ${str(f)}`);
  }
  if (!DECODABLE_KINDS.has(`${apiVersion}/${kind}`)) {
    throw cannotDecode(`protobuf ${apiVersion}/${kind}`);
  }
  return { apiVersion, kind, ...decodeMessage(kind, raw) };
}
