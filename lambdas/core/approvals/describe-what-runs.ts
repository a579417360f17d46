import { yaml } from '../lazy-yaml';
import type { MaskingPatternConfig } from '../gateway-config';
import { hasDuplicateJsonKeys } from '../policy/json-duplicate-keys';
import type { RequestInfo } from '../request-info';
import { mediaTypeOf } from './fingerprint';
import { previewMasker, type PreviewMasker } from './mask-preview';
import { PATCH_TYPES, patchChanges, type FieldChange, type PatchType } from './patch-fields';
import { splitQuery } from './query-parameters';

/**
 * What will run if an approver says yes, as the Slack message, the approvals table and `gatehouse approvals show`
 * keep it: the request line, the query parameters the approval covers, the body's media type, a masked and
 * capped preview of the body and, for patches, the fields they change. Every agent-controlled string in it is
 * masked (Secret data, credential patterns) and capped, so the item stays far below DynamoDB's 400 KB and the
 * message within Slack's limits; it is plain text, escaped when it is rendered.
 */
export interface WhatRuns {
  /** HTTP method, upper-case. */
  readonly method: string;
  /** The checked cluster path. */
  readonly path: string;
  /** The query parameters the approval covers, in fingerprint order, values masked and capped. */
  readonly query: readonly (readonly [string, string])[];
  /** Covered parameters beyond the cap (they still count in the fingerprint). */
  readonly moreQuery?: number;
  /** Names of parameters left out because they do not change what runs (`timeout`, `pretty`, ...). */
  readonly leftOut: readonly string[];
  /** The body's media type (`application/strategic-merge-patch+json`), '' without a body. */
  readonly mediaType: string;
  readonly body: BodyPreview;
  /** For patches: the fields they set and remove. */
  readonly patch?: { readonly type: PatchType; readonly changes: readonly FieldChange[]; readonly total: number };
  /** Plain-language warnings about options with large effects (`force=true`, `gracePeriodSeconds=0`, ...). */
  readonly notes: readonly string[];
}

/** The body as shown: not at all, masked and capped, or only described (never raw). */
export type BodyPreview =
  | { readonly state: 'none' }
  | { readonly state: 'shown'; readonly bytes: number; readonly text: string; readonly cut: boolean }
  | { readonly state: 'hidden'; readonly bytes: number; readonly why: string };

/** What {@link describeWhatRuns} reads. */
export interface WhatRunsInput {
  readonly method: string;
  /** The classified request; its `path` is the checked one and its resource decides Secret masking. */
  readonly request: RequestInfo;
  readonly query: URLSearchParams;
  /** The Content-Type header, '' when absent. */
  readonly contentType: string;
  readonly body: Uint8Array;
  /** The connection's own credential patterns, masked on top of the built-in ones. */
  readonly maskingPatterns?: readonly MaskingPatternConfig[];
}

/** Caps, in characters. The body preview's is the one an approver notices; the rest only stop abuse. */
export const WHAT_RUNS_LIMITS = {
  preview: 1_500, path: 1_000, queryEntries: 30, queryName: 80, queryValue: 300, changes: 40, changePath: 200,
} as const;

/** Describes what a request will do. Pure; never throws for any body. */
export function describeWhatRuns(input: WhatRunsInput): WhatRuns {
  const mask = previewMasker(input.request, input.maskingPatterns);
  const { kept, leftOut } = splitQuery(input.query, input.request);
  const body = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  const mediaType = body.length === 0 ? '' : mediaTypeOf(input.contentType);
  const decoded = body.length === 0 ? undefined : decode(mediaType, body);
  const patchType = PATCH_TYPES.get(mediaType);
  let preview: BodyPreview = { state: 'none' };
  let patch: WhatRuns['patch'];
  if (decoded && 'why' in decoded) preview = { state: 'hidden', bytes: body.length, why: decoded.why };
  else if (decoded) {
    try {
      const masked = patchType === 'json' && Array.isArray(decoded.value) ? mask.jsonPatch(decoded.value) : mask.value(decoded.value);
      // A second pass over the text finds credentials where the object walk does not look (object keys), and runs
      // before the cut, so a token at the edge of the preview cannot escape its pattern by being cut in half.
      const text = mask.text(JSON.stringify(masked) ?? 'null');
      preview = { state: 'shown', bytes: body.length, text: cut(text, WHAT_RUNS_LIMITS.preview), cut: text.length > WHAT_RUNS_LIMITS.preview };
    } catch {
      preview = { state: 'hidden', bytes: body.length, why: 'it could not be masked' };
    }
    const changes = patchType ? patchChanges(patchType, decoded.value, WHAT_RUNS_LIMITS.changes) : undefined;
    if (patchType && !changes) preview = { state: 'hidden', bytes: body.length, why: 'it is not a list of JSON patch operations' };
    if (patchType && changes) {
      patch = { type: patchType, total: changes.total, changes: changes.changes.map((c) => maskedChange(c, mask)) };
    }
  }
  const query = kept.slice(0, WHAT_RUNS_LIMITS.queryEntries)
    .map(([name, value]) => [cut(mask.text(name), WHAT_RUNS_LIMITS.queryName), cut(mask.text(value), WHAT_RUNS_LIMITS.queryValue)] as const);
  return {
    method: input.method.toUpperCase().slice(0, 16),
    path: cut(mask.text(input.request.path), WHAT_RUNS_LIMITS.path),
    query,
    ...(kept.length > query.length ? { moreQuery: kept.length - query.length } : {}),
    leftOut: leftOut.slice(0, 10).map((n) => cut(n, WHAT_RUNS_LIMITS.queryName)),
    mediaType: cut(mediaType, 100),
    body: preview,
    ...(patch ? { patch } : {}),
    notes: notesFor(input.request, kept, decoded && !('why' in decoded) ? decoded.value : undefined),
  };
}

type Decoded = { readonly value: unknown } | { readonly why: string };

/**
 * Reads a body the way the API server would, or says why it is not shown. JSON must be valid and free of repeated
 * keys (Go's decoder merges a repeated object where JSON.parse keeps the last, so a preview could show another
 * body than the cluster reads); YAML is read as YAML 1.1, one document. Protobuf, CBOR and anything else are
 * not decoded, and so not shown: a raw preview could carry Secret data that masking cannot see.
 */
function decode(mediaType: string, body: Buffer): Decoded {
  const text = body.toString('utf8');
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { why: 'it is not valid JSON' };
    }
    return hasDuplicateJsonKeys(text) ? { why: 'it repeats a key, which the cluster reads differently' } : { value };
  }
  if (mediaType === 'application/yaml' || mediaType === 'application/apply-patch+yaml') {
    const docs = yaml().parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
    const real = Array.isArray(docs) ? docs.filter((d) => d.contents !== null) : [];
    if (real.length !== 1 || real[0]!.errors.length > 0) return { why: real.length > 1 ? 'it holds several YAML documents' : 'it is not valid YAML' };
    try {
      return { value: real[0]!.toJS({ maxAliasCount: 100 }) };
    } catch {
      return { why: 'it is not valid YAML' };
    }
  }
  return { why: mediaType ? `Gatehouse does not decode ${mediaType}` : 'it has no content type' };
}

function maskedChange(change: FieldChange, mask: PreviewMasker): FieldChange {
  const path = cut(mask.text(change.path), WHAT_RUNS_LIMITS.changePath);
  return change.from === undefined ? { op: change.op.slice(0, 20), path } : { op: change.op.slice(0, 20), path, from: cut(mask.text(change.from), WHAT_RUNS_LIMITS.changePath) };
}

// Options a delete may carry in its body (DeleteOptions) as well as in the query.
const DELETE_BODY_OPTIONS = ['dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents', 'ignoreStoreReadErrorWithClusterBreakingPotential'];

/**
 * Warnings for the options whose effect an approver could miss in a query string. Advisory only: the
 * fingerprint covers the options themselves, whatever these notes say.
 */
function notesFor(request: RequestInfo, kept: readonly (readonly [string, string])[], body: unknown): string[] {
  const options = new Map<string, string>();
  for (const [name, value] of kept) if (!options.has(name)) options.set(name, value); // the API server reads the first value
  if ((request.verb === 'delete' || request.verb === 'deletecollection') && isObject(body)) {
    for (const name of DELETE_BODY_OPTIONS) {
      const v = body[name];
      if (v !== undefined && v !== null && !options.has(name)) options.set(name, Array.isArray(v) ? v.map(String).join(',') : String(v));
    }
  }
  const notes: string[] = [];
  const on = (name: string) => options.has(name) && !/^(0|false)$/i.test(options.get(name)!);
  if (options.has('dryRun')) notes.push('dryRun: a dry run; the cluster checks the request but persists nothing.');
  if (on('force')) notes.push('force=true: server-side apply takes over fields other field managers own instead of stopping at the conflict.');
  if (options.get('gracePeriodSeconds') === '0') notes.push('gracePeriodSeconds=0: pods are killed at once, without a graceful shutdown.');
  if (options.get('propagationPolicy') === 'Orphan' || on('orphanDependents')) notes.push('Orphan: dependents (for example ReplicaSets and Pods) are left running without an owner.');
  if (options.get('propagationPolicy') === 'Foreground') notes.push('Foreground: dependents are deleted before the object itself.');
  if (on('ignoreStoreReadErrorWithClusterBreakingPotential')) notes.push('ignoreStoreReadErrorWithClusterBreakingPotential: deletes an unreadable object without finalizers or admission; this can break the cluster.');
  if (options.get('fieldValidation') === 'Ignore') notes.push('fieldValidation=Ignore: unknown fields are dropped silently.');
  if (request.verb === 'deletecollection') {
    notes.push(options.has('labelSelector') || options.has('fieldSelector')
      ? 'deletecollection: deletes every object that matches the selectors.'
      : 'deletecollection without selectors: deletes every object in the collection.');
  }
  return notes;
}

/** Cuts text to `max` characters, never inside a surrogate pair, marking the cut with an ellipsis. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
