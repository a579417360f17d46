import { MASKED_VALUE, SECRET_DATA_COUNT, SERVICE_ACCOUNT_TOKEN_COUNT } from './credential-patterns';
import { bump, CompiledPatterns, MaskCounts, maskString } from './mask-text';

/** Annotation kubectl writes on `apply`; for a Secret it embeds the data (or stringData) in clear. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Annotation Gatehouse adds to a Secret whose values it masked, so people and tools can tell. */
export const MASKED_ANNOTATION = 'gatehouse.dev/masked';
/** What a masked Secret `data` value becomes: valid base64 of MASKED_VALUE. */
export const MASKED_BASE64 = Buffer.from(MASKED_VALUE).toString('base64');

type Obj = Record<string, unknown>;

/** State of one masking pass. */
export interface MaskState {
  readonly patterns: CompiledPatterns;
  readonly counts: MaskCounts;
  readonly unmaskSecrets: boolean;
  /** Set when anything was replaced or added. */
  changed: boolean;
}

/**
 * Masks a decoded API response in place and returns it (the top value itself may be replaced). `secretContext`
 * says that objects without a `kind` at object positions are Secrets (the request was for `secrets`: list items
 * carry no kind). Object positions are the top value, List items, Table `rows[].object` and watch event objects,
 * recursively, so a Table inside a watch event is handled like any other.
 */
export function maskApiObject(value: unknown, secretContext: boolean, state: MaskState): unknown {
  return isObj(value) ? positioned(value, secretContext, state, true) : walkValue(value, undefined, state);
}

function positioned(obj: Obj, secretContext: boolean, state: MaskState, annotate: boolean): Obj {
  const kind = obj.kind;
  if (kind === 'Table' && Array.isArray(obj.rows)) {
    for (const row of obj.rows) {
      if (!isObj(row)) continue;
      for (const key of Object.keys(row)) {
        if (key === 'object' && isObj(row.object)) row.object = positioned(row.object, secretContext, state, annotate);
        else row[key] = walkValue(row[key], undefined, state);
      }
    }
    walkObject(obj, state, 'rows');
    return obj;
  }
  if (Array.isArray(obj.items) && (kind === undefined || (typeof kind === 'string' && kind.endsWith('List')))) {
    const itemsAreSecrets = secretContext || kind === 'SecretList';
    obj.items = obj.items.map((item) => (isObj(item) ? positioned(item, itemsAreSecrets, state, annotate) : walkValue(item, undefined, state)));
    walkObject(obj, state, 'items');
    return obj;
  }
  if (typeof obj.type === 'string' && isObj(obj.object) && Object.keys(obj).length === 2) {
    obj.object = positioned(obj.object, secretContext, state, annotate);
    return obj;
  }
  if (kind === 'Secret' || (secretContext && kind === undefined)) maskSecret(obj, state, annotate);
  else if (kind === 'TokenRequest') maskTokenRequest(obj, state);
  else if (secretContext && kind === 'PartialObjectMetadata' && isObj(obj.metadata)) {
    // `kubectl get secrets` rows carry only metadata, but that includes the last-applied annotation with the values.
    walkMetadata(obj.metadata, state, true);
    walkObject(obj, state, 'metadata');
  }
  else walkObject(obj, state);
  return obj;
}

/**
 * A Secret: `data` values become base64 of the marker (keys kept, so `kubectl describe` still lists them),
 * `stringData` values the marker, the last-applied annotation is parsed and masked the same way, and the
 * `gatehouse.dev/masked` annotation is added. With unmaskSecrets the values pass; the rest is masked as usual.
 */
function maskSecret(secret: Obj, state: MaskState, annotate: boolean): void {
  let masked = 0;
  if (!state.unmaskSecrets) {
    for (const [field, marker] of [['data', MASKED_BASE64], ['stringData', MASKED_VALUE]] as const) {
      const values = secret[field];
      if (!isObj(values)) continue;
      for (const key of Object.keys(values)) {
        const v = values[key];
        if (typeof v === 'string' && v.length > 0 && v !== marker) {
          values[key] = marker;
          masked++;
        }
      }
    }
  }
  if (masked > 0) {
    bump(state.counts, SECRET_DATA_COUNT, masked);
    state.changed = true;
  }
  if (isObj(secret.metadata)) walkMetadata(secret.metadata, state, true);
  if (masked > 0 && annotate) {
    const metadata = isObj(secret.metadata) ? secret.metadata : (secret.metadata = {});
    const annotations = isObj(metadata.annotations) ? metadata.annotations : (metadata.annotations = {});
    annotations[MASKED_ANNOTATION] = 'true';
  }
  for (const key of Object.keys(secret)) {
    if (key === 'data' || key === 'stringData' || key === 'metadata') continue;
    secret[key] = walkValue(secret[key], key, state);
  }
}

/**
 * Object metadata: only annotations (any value, key-aware) and label values are looked at. Names, uids,
 * resourceVersions, managedFields and the like are Kubernetes structure and never masked.
 */
function walkMetadata(metadata: Obj, state: MaskState, isSecret: boolean): void {
  const annotations = metadata.annotations;
  if (isObj(annotations)) {
    for (const key of Object.keys(annotations)) {
      const v = annotations[key];
      if (typeof v !== 'string') continue;
      const masked = key === LAST_APPLIED_ANNOTATION ? maskLastApplied(v, isSecret, state) : maskString(v, key, state.patterns, state.counts);
      if (masked !== v) {
        annotations[key] = masked;
        state.changed = true;
      }
    }
  }
  const labels = metadata.labels;
  if (isObj(labels)) {
    for (const key of Object.keys(labels)) {
      const v = labels[key];
      if (typeof v !== 'string') continue;
      const masked = maskString(v, undefined, state.patterns, state.counts);
      if (masked !== v) {
        labels[key] = masked;
        state.changed = true;
      }
    }
  }
}

/** Parses the annotation, masks it as the object it is, re-serializes it the way kubectl wrote it. */
function maskLastApplied(text: string, isSecret: boolean, state: MaskState): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    if (isSecret && !state.unmaskSecrets) {
      bump(state.counts, SECRET_DATA_COUNT);
      return MASKED_VALUE;
    }
    return maskString(text, undefined, state.patterns, state.counts);
  }
  const inner: MaskState = { patterns: state.patterns, counts: state.counts, unmaskSecrets: state.unmaskSecrets, changed: false };
  const result = isObj(parsed) ? positioned(parsed, isSecret, inner, false) : walkValue(parsed, undefined, inner);
  if (!inner.changed) return text;
  return JSON.stringify(result) + (text.endsWith('\n') ? '\n' : '');
}

/** A TokenRequest (`kubectl create token`) returns a live service account token in `status.token`. */
function maskTokenRequest(obj: Obj, state: MaskState): void {
  const status = obj.status;
  if (isObj(status) && typeof status.token === 'string' && status.token.length > 0) {
    if (!state.unmaskSecrets) {
      status.token = MASKED_VALUE;
      bump(state.counts, SERVICE_ACCOUNT_TOKEN_COUNT);
      state.changed = true;
    }
    walkObject(status, state, 'token');
  }
  walkObject(obj, state, 'status');
}

function walkObject(obj: Obj, state: MaskState, skip?: string): void {
  for (const key in obj) {
    if (key === skip || !Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const v = obj[key];
    if (typeof v === 'string') {
      // `{name: DB_PASSWORD, value: ...}` (env vars, headers): the name is the key that announces the value.
      const keyName = key === 'value' && typeof obj.name === 'string' ? obj.name : key;
      const masked = maskString(v, keyName, state.patterns, state.counts);
      if (masked !== v) {
        obj[key] = masked;
        state.changed = true;
      }
    } else if (v !== null && typeof v === 'object') {
      if (key === 'metadata' && isObj(v)) walkMetadata(v, state, false);
      else if (key !== 'managedFields') obj[key] = walkValue(v, key, state);
    }
  }
}

function walkValue(value: unknown, key: string | undefined, state: MaskState): unknown {
  if (typeof value === 'string') {
    const masked = maskString(value, key, state.patterns, state.counts);
    if (masked !== value) state.changed = true;
    return masked;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = walkValue(value[i], key, state);
    return value;
  }
  if (isObj(value)) {
    // Secrets and TokenRequests can turn up anywhere (a `List` kubectl built, a custom resource embedding one).
    if (value.kind === 'Secret' && (isObj(value.data) || isObj(value.stringData))) maskSecret(value, state, true);
    else if (value.kind === 'TokenRequest') maskTokenRequest(value, state);
    else walkObject(value, state);
  }
  return value;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
