import type { JsonObject, JsonValue } from './types';

/**
 * JSON decoding with the API server's treatment of repeated keys.
 *
 * JSON.parse keeps the last value of a repeated key. The real server decodes with sigs.k8s.io/json
 * (a fork of encoding/json) straight into Go structs, and encoding/json decodes a repeated key *into*
 * the value it already holds: a struct or map field is merged (the second `spec` adds to the first),
 * a slice or scalar is replaced, and `null` clears pointers, maps and slices but leaves plain structs
 * and scalars alone. So `{"spec":{"hostNetwork":true,"hostNetwork":null}}` stores hostNetwork: true,
 * and `{"spec":{"hostPID":true},"spec":{"containers":[...]}}` keeps hostPID. A gateway that judges the
 * JSON.parse view would miss both; the simulator stores what the real server stores.
 *
 * Under `fieldValidation=Strict|Warn` the server also reports each repeated key as a strict error,
 * `duplicate field "spec.containers[0].image"` (path syntax of sigs.k8s.io/json).
 */

/** Options of {@link decodeJsonLikeApiServer}. */
export interface JsonDecodeOptions {
  /**
   * From which nesting depth (0: the root value) repeated object keys are decoded into the earlier
   * value, as into a Go struct. Undefined: never (a map[string]interface{} target, where the last wins).
   */
  readonly mergeFromDepth?: number;
}

/** A decoded document and the repeated keys found in it, as Go strict-decoding field paths. */
export interface DecodedJson {
  readonly value: JsonValue;
  readonly duplicates: readonly string[];
}

/**
 * Go fields that are plain (non-pointer) structs or scalars, so a repeated key set to `null` leaves
 * the earlier value in place. Object-valued keys not listed here are treated as pointers or maps
 * (`null` clears them); scalar keys are treated as plain unless listed in {@link POINTER_SCALARS}.
 */
const VALUE_STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'jobTemplate', 'resources', 'strategy', 'updateStrategy', 'roleRef']);

/** Optional (`*bool`, `*int64`, ...) fields of the pod security surface: `null` really clears them. */
const POINTER_SCALARS = new Set([
  'privileged', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'runAsGroup', 'readOnlyRootFilesystem', 'procMount',
  'fsGroup', 'hostUsers', 'shareProcessNamespace', 'automountServiceAccountToken', 'replicas', 'hostProcess',
]);

const MAX_STRICT_ERRORS = 100;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What encoding/json leaves in a field that held `existing` after decoding `incoming` into it. */
function decodeInto(existing: JsonValue | undefined, incoming: JsonValue, key: string): JsonValue {
  if (existing === undefined) return incoming;
  if (incoming === null) {
    if (existing === null || Array.isArray(existing)) return null;
    if (isObject(existing)) return VALUE_STRUCTS.has(key) ? existing : null;
    return POINTER_SCALARS.has(key) ? null : existing;
  }
  if (isObject(existing) && isObject(incoming)) {
    for (const [k, v] of Object.entries(incoming)) setMember(existing, k, decodeInto(existing[k], v as JsonValue, k));
    return existing;
  }
  return incoming;
}

/** Assigns a member without letting `__proto__` reach the prototype. */
function setMember(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

class Decoder {
  private pos = 0;
  readonly duplicates: string[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly mergeFromDepth: number | undefined,
  ) {}

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  private duplicate(path: string): void {
    if (this.duplicates.length >= MAX_STRICT_ERRORS || this.seen.has(path)) return;
    this.seen.add(path);
    this.duplicates.push(path);
  }

  value(path: string, depth: number): JsonValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object(path, depth);
    if (c === '[') return this.array(path, depth);
    if (c === '"') return this.string();
    LITERAL.lastIndex = this.pos;
    const m = LITERAL.exec(this.text);
    if (!m) throw new SyntaxError(`invalid character at offset ${this.pos}`);
    this.pos += m[0].length;
    return JSON.parse(m[0]) as JsonValue;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    while (this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    this.pos++;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private object(path: string, depth: number): JsonObject {
    const obj: JsonObject = {};
    const merge = this.mergeFromDepth !== undefined && depth >= this.mergeFromDepth;
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.ws();
      this.pos++; // ':'
      const fieldPath = path === '' ? key : `${path}.${key}`;
      const repeated = Object.prototype.hasOwnProperty.call(obj, key);
      if (repeated) this.duplicate(fieldPath);
      const v = this.value(fieldPath, depth + 1);
      setMember(obj, key, repeated && merge ? decodeInto(obj[key], v, key) : v);
      this.ws();
      if (this.text[this.pos++] === '}') return obj;
    }
  }

  private array(path: string, depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(`${path}[${out.length}]`, depth + 1));
      this.ws();
      if (this.text[this.pos++] === ']') return out;
    }
  }
}

/**
 * Decodes JSON text as the API server would: syntax errors are JSON.parse's (the caller words them),
 * repeated keys are merged per {@link JsonDecodeOptions.mergeFromDepth} and listed as Go field paths.
 */
export function decodeJsonLikeApiServer(text: string, options: JsonDecodeOptions = {}): DecodedJson {
  // JSON.parse validates first, so the scanner below only ever sees well-formed JSON.
  const plain = JSON.parse(text) as JsonValue;
  if (!/[{]/.test(text)) return { value: plain, duplicates: [] };
  const decoder = new Decoder(text, options.mergeFromDepth);
  const value = decoder.value('', 0);
  return { value, duplicates: decoder.duplicates };
}

/** The strict-decoding text of a repeated key, as sigs.k8s.io/json words it. */
export function duplicateFieldError(path: string): string {
  return `duplicate field ${JSON.stringify(path)}`;
}
