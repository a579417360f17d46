import { PROTOBUF_KINDS, PROTOBUF_MESSAGES } from './protobuf-messages';
import { isJsonObject, type JsonObject, type JsonValue } from './types';

/** The 4-byte prefix of every Kubernetes protobuf body ("k8s" and a zero byte). */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type ScalarKind = 's' | 'i' | 'b' | 'by' | 'time' | 'microTime' | 'quantity' | 'intOrString' | 'fieldsV1' | 'raw' | 'strings';

/** One field of a message, parsed from the table in protobuf-messages.ts. */
interface Field {
  readonly json: string;
  readonly number: number;
  readonly repeated: boolean;
  /** JSON writes this member's fields into the parent object (`json:",inline"`). */
  readonly inline: boolean;
  /** Set for maps: the value type (`s` for map<string,string>). */
  readonly mapValue?: ScalarKind | string;
  /** A scalar kind or a message name. */
  readonly type: ScalarKind | string;
}

interface Message {
  readonly byJson: ReadonlyMap<string, Field>;
  readonly inline: readonly Field[];
  /** Kinds carry apiVersion/kind in the envelope, not in the message (TypeMeta has no field numbers). */
  readonly isKind: boolean;
}

const SCALARS = new Set<string>(['s', 'i', 'b', 'by', 'time', 'microTime', 'quantity', 'intOrString', 'fieldsV1', 'raw', 'strings']);

function parseField(text: string): Field {
  const [json, number, rawType] = text.trim().split(/\s+/) as [string, string, string];
  let type = rawType;
  const repeated = type.startsWith('*');
  if (repeated) type = type.slice(1);
  const inline = type.startsWith('^');
  if (inline) type = type.slice(1);
  if (type === 'map') return { json, number: Number(number), repeated: false, inline, mapValue: 's', type };
  if (type.startsWith('map:')) return { json, number: Number(number), repeated: false, inline, mapValue: type.slice(4), type: 'map' };
  return { json, number: Number(number), repeated, inline, type };
}

const messages = new Map<string, Message>();

function message(name: string): Message {
  let m = messages.get(name);
  if (m) return m;
  const text = PROTOBUF_MESSAGES[name];
  if (text === undefined) throw new Error(`no protobuf schema for message ${name}`);
  const fields = text.split(';').filter((f) => f.trim()).map(parseField);
  m = {
    byJson: new Map(fields.filter((f) => !f.inline).map((f) => [f.json, f])),
    inline: fields.filter((f) => f.inline),
    isKind: fields.some((f) => f.json === 'metadata' && (f.type === 'ObjectMeta' || f.type === 'ListMeta')),
  };
  messages.set(name, m);
  return m;
}

/** Appends protobuf wire bytes; negative integers are written as 64-bit two's complement, as Go does. */
class Writer {
  private readonly chunks: Buffer[] = [];

  varint(value: bigint | number): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  key(number: number, wireType: 0 | 2): void {
    this.varint((number << 3) | wireType);
  }

  bytes(number: number, data: Buffer): void {
    this.key(number, 2);
    this.varint(data.length);
    this.chunks.push(data);
  }

  string(number: number, text: string): void {
    this.bytes(number, Buffer.from(text, 'utf8'));
  }

  int(number: number, value: number | bigint): void {
    this.key(number, 0);
    this.varint(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** What encoding left out: fields the real server's decoder would have pruned before storing. */
interface EncodeContext {
  readonly dropped: string[];
}

/** A metav1.Time (RFC 3339) or MicroTime as a Timestamp {seconds = 1, nanos = 2}. */
function timestamp(value: JsonValue, path: string, ctx: EncodeContext): Buffer | undefined {
  if (typeof value !== 'string') return dropped(ctx, path);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) return dropped(ctx, path);
  const w = new Writer();
  w.int(1, BigInt(Math.floor(ms / 1000)));
  w.int(2, Number((m[2] ?? '').padEnd(9, '0')));
  return w.finish();
}

function dropped(ctx: EncodeContext, path: string): undefined {
  ctx.dropped.push(path);
  return undefined;
}

/** The bytes of one value of a scalar kind (length-delimited ones) or undefined when it does not fit. */
function lengthDelimited(kind: string, value: JsonValue, path: string, ctx: EncodeContext): Buffer | undefined {
  switch (kind) {
    case 's':
      return typeof value === 'string' ? Buffer.from(value, 'utf8') : dropped(ctx, path);
    case 'by':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : dropped(ctx, path);
    case 'time':
    case 'microTime':
      return timestamp(value, path, ctx);
    case 'quantity': {
      if (typeof value !== 'string' && typeof value !== 'number') return dropped(ctx, path);
      const w = new Writer();
      w.string(1, String(value));
      return w.finish();
    }
    case 'intOrString': {
      // gogo writes all three fields: type (0 int, 1 string), intVal, strVal.
      const w = new Writer();
      if (typeof value === 'number' && Number.isInteger(value)) {
        w.int(1, 0);
        w.int(2, value);
        w.string(3, '');
      } else if (typeof value === 'string') {
        w.int(1, 1);
        w.int(2, 0);
        w.string(3, value);
      } else return dropped(ctx, path);
      return w.finish();
    }
    case 'fieldsV1':
    case 'raw': {
      const w = new Writer();
      w.bytes(1, Buffer.from(JSON.stringify(value)));
      return w.finish();
    }
    case 'strings': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return dropped(ctx, path);
      const w = new Writer();
      for (const v of value) w.string(1, v as string);
      return w.finish();
    }
    default:
      return isJsonObject(value) ? encodeMessage(kind, value, path, ctx) : dropped(ctx, path);
  }
}

function writeValue(w: Writer, field: Field, kind: string, value: JsonValue, path: string, ctx: EncodeContext): void {
  if (kind === 'i' || kind === 'b') {
    if (kind === 'b' && typeof value === 'boolean') w.int(field.number, value ? 1 : 0);
    else if (kind === 'i' && typeof value === 'number' && Number.isInteger(value)) w.int(field.number, BigInt(value));
    else dropped(ctx, path);
    return;
  }
  const data = lengthDelimited(kind, value, path, ctx);
  if (data) w.bytes(field.number, data);
}

function writeField(w: Writer, field: Field, value: JsonValue | undefined, path: string, ctx: EncodeContext): void {
  if (value === undefined || value === null) return;
  if (field.mapValue !== undefined) {
    if (!isJsonObject(value)) return void dropped(ctx, path);
    // Generated marshalers sort map keys, so equal objects have equal bytes.
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v === undefined || v === null) continue;
      const entry = new Writer();
      entry.string(1, key);
      writeValue(entry, { ...field, number: 2, repeated: false }, field.mapValue, v, `${path}.${key}`, ctx);
      w.bytes(field.number, entry.finish());
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return void dropped(ctx, path);
    value.forEach((v, i) => {
      if (v !== null) writeValue(w, field, field.type, v, `${path}[${i}]`, ctx);
    });
    return;
  }
  writeValue(w, field, field.type, value, path, ctx);
}

/** Encodes a JSON object as the named message, fields in number order as generated marshalers write them. */
function encodeMessage(name: string, obj: JsonObject, path: string, ctx: EncodeContext): Buffer {
  const schema = message(name);
  const inlineOwner = new Map<string, Field>();
  for (const f of schema.inline) for (const key of message(f.type).byJson.keys()) inlineOwner.set(key, f);
  const written: Array<{ readonly field: Field; readonly value: JsonValue }> = [];
  const inlined = new Map<Field, JsonObject>();
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const field = schema.byJson.get(key);
    if (field) written.push({ field, value });
    else if (inlineOwner.has(key)) {
      const owner = inlineOwner.get(key)!;
      const part = inlined.get(owner) ?? {};
      part[key] = value;
      inlined.set(owner, part);
    } else if (!(schema.isKind && (key === 'apiVersion' || key === 'kind'))) dropped(ctx, `${path}.${key}`);
  }
  for (const [field, part] of inlined) written.push({ field, value: part });
  written.sort((a, b) => a.field.number - b.field.number);
  const w = new Writer();
  for (const { field, value } of written) writeField(w, field, value, field.inline ? path : `${path}.${field.json}`, ctx);
  return w.finish();
}

/** Whether the simulator can answer this kind in protobuf (the real server can for every built-in kind). */
export function canEncodeProtobuf(apiVersion: string, kind: string): boolean {
  return PROTOBUF_KINDS[apiVersion]?.includes(kind) ?? false;
}

function schemaNameFor(apiVersion: string, kind: string): string {
  return apiVersion === 'meta.k8s.io/v1beta1' && kind === 'PartialObjectMetadataList' ? 'v1beta1.PartialObjectMetadataList' : kind;
}

/** The encoded message and what had to be left out of it (JSON paths, e.g. `.spec.containers[0].typo`). */
export interface EncodedProtobuf {
  readonly bytes: Buffer;
  readonly dropped: readonly string[];
}

/**
 * Encodes an object as the API server's protobuf serializer does: `k8s\0` then a runtime.Unknown holding
 * the apiVersion/kind and the marshalled message. The object's `apiVersion` and `kind` pick the message
 * (`canEncodeProtobuf` says which can be). A member the schema does not know, or of the wrong JSON type,
 * is left out and reported: the real server prunes unknown fields when it decodes a write, so a client
 * of the real server never sees them.
 */
export function encodeKubernetesProtobuf(object: JsonObject): EncodedProtobuf {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  if (!canEncodeProtobuf(apiVersion, kind) && !(apiVersion === 'meta.k8s.io/v1beta1' && kind.startsWith('PartialObjectMetadata'))) {
    throw new Error(`the Gatehouse simulator has no protobuf schema for ${apiVersion}/${kind}`);
  }
  const ctx: EncodeContext = { dropped: [] };
  const raw = encodeMessage(schemaNameFor(apiVersion, kind), object, '', ctx);
  const typeMeta = new Writer();
  typeMeta.string(1, apiVersion);
  typeMeta.string(2, kind);
  // runtime.Unknown as gogo marshals it: every non-pointer field, empty strings included.
  const unknown = new Writer();
  unknown.bytes(1, typeMeta.finish());
  unknown.bytes(2, raw);
  unknown.string(3, '');
  unknown.string(4, '');
  return { bytes: Buffer.concat([MAGIC, unknown.finish()]), dropped: ctx.dropped };
}

/**
 * One frame of a protobuf watch stream: a 4-byte big-endian length, then a metav1.WatchEvent (no
 * prefix: the stream serializer is the raw one) whose object is the embedded encoder's `k8s\0` body.
 */
export function protobufWatchFrame(type: string, object: JsonObject): Buffer {
  const event = new Writer();
  event.string(1, type);
  const raw = new Writer();
  raw.bytes(1, encodeKubernetesProtobuf(object).bytes);
  event.bytes(2, raw.finish());
  const body = event.finish();
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** Whether a kind is a scalar of the schema table (exported for the schema's own consistency test). */
export function isScalarKind(kind: string): boolean {
  return SCALARS.has(kind);
}

/** Every message name the table refers to that it does not define (empty when the table is complete). */
export function missingMessages(): string[] {
  const missing = new Set<string>();
  for (const text of Object.values(PROTOBUF_MESSAGES)) {
    for (const f of text.split(';').filter((x) => x.trim()).map(parseField)) {
      const t = f.mapValue ?? f.type;
      if (!SCALARS.has(t) && PROTOBUF_MESSAGES[t] === undefined) missing.add(t);
    }
  }
  return [...missing];
}
