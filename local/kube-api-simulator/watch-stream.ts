import { outputOptions, warningHeaders, type HandlerContext } from './http-io';
import { contentTypeOf, negotiateOutput } from './media-types';
import { protobufWatchFrame } from './protobuf-encoder';
import type { StoreEvent } from './object-store';
import { parseResourceVersion, selectorFilter, type ObjectFilter } from './read-handlers';
import { queryBool, queryOptionalBool } from './query-bool';
import { groupVersion } from './resource-type';
import { badRequest, gone, invalid, tooLargeResourceVersion } from './status-errors';
import { parseIncludeObject, partialObjectMetadata, toTable } from './table-convertor';
import { cloneJson, type JsonObject, type KubeObject } from './types';

// The real server ends a watch after a random 30-60 minutes when no timeoutSeconds is given.
const DEFAULT_WATCH_SECONDS = 1800;

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * Decides what a filtered watch reports for a store change: an object entering the filter is ADDED,
 * leaving it is DELETED, staying in it is MODIFIED (what the real watch cache does).
 */
export function translateEvent(event: StoreEvent, filter: ObjectFilter): EventType | undefined {
  const now = filter(event.object);
  if (event.type !== 'MODIFIED') return now ? event.type : undefined;
  const before = event.previous ? filter(event.previous) : false;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

function watchFilter(ctx: HandlerContext, base: ObjectFilter): ObjectFilter {
  const ns = ctx.type.namespaced ? ctx.path.namespace : undefined;
  const name = ctx.path.name;
  return (obj) => (ns === undefined || obj.metadata.namespace === ns) && (name === undefined || obj.metadata.name === name) && base(obj);
}

function checkWatchList(ctx: HandlerContext): boolean {
  const q = ctx.query;
  const asked = queryOptionalBool(q, 'sendInitialEvents');
  if (asked === undefined) return false;
  const send = asked;
  if (send && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is allowed only with resourceVersionMatch set to NotOlderThan' }]);
  }
  if (send && !queryBool(q, 'allowWatchBookmarks')) {
    throw invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'allowWatchBookmarks', detail: 'allowWatchBookmarks must be set to true when sendInitialEvents is set' }]);
  }
  return send;
}

/**
 * `watch=true`: a chunked stream of `{"type":..., "object":...}` lines, or with a protobuf Accept the
 * real server's protobuf stream (`application/vnd.kubernetes.protobuf;stream=watch`: each WatchEvent
 * after a 4-byte big-endian length). With no resourceVersion (or "0")
 * it starts with ADDED for what exists; with a resourceVersion it replays the changes after it (410
 * ERROR event when that is older than the kept history); `sendInitialEvents=true` adds the initial
 * ADDED events and a BOOKMARK annotated `k8s.io/initial-events-end`. Ends after `timeoutSeconds`.
 */
export function handleWatch(ctx: HandlerContext): void {
  const format = negotiateOutput(ctx.req.headers.accept, { ...outputOptions(ctx.type), stream: true });
  const protobuf = format.kind === 'protobuf' || (format.kind === 'partial' && format.protobuf === true);
  const includeObject = parseIncludeObject(ctx.query.get('includeObject'));
  const filter = watchFilter(ctx, selectorFilter(ctx).filter);
  const sendInitialEvents = checkWatchList(ctx);
  const rv = parseResourceVersion(ctx.query.get('resourceVersion'));
  const timeoutText = ctx.query.get('timeoutSeconds');
  if (timeoutText !== null && !/^\d+$/.test(timeoutText)) throw badRequest(`timeoutSeconds: Invalid value: ${JSON.stringify(timeoutText)}`);
  const timeoutSeconds = timeoutText === null || timeoutText === '0' ? DEFAULT_WATCH_SECONDS : Number(timeoutText);
  const store = ctx.state.store;
  if (rv !== undefined && rv > store.currentRevision) throw tooLargeResourceVersion(rv, store.currentRevision);
  const key = ctx.state.key(ctx.type);

  const res = ctx.res;
  for (const [name, values] of Object.entries(warningHeaders(ctx.warnings))) res.setHeader(name, values);
  res.writeHead(200, { 'Content-Type': contentTypeOf(format, true), 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  // Like the real server, send the headers now: a client waits for them before it trusts the watch,
  // and a quiet watch would otherwise hold them back until the first event.
  res.flushHeaders();
  let columnsSent = false;
  const present = (obj: KubeObject): JsonObject => {
    const o = cloneJson(obj);
    o.apiVersion = groupVersion(ctx.type);
    o.kind = ctx.type.kind;
    // Each event is transformed on its own: a PartialObjectMetadataList target fails on one object and
    // the watch encoder then sends the object as it is (watchEmbeddedEncoder.doEncode).
    if (format.kind === 'partial') return format.list ? o : partialObjectMetadata(o, format.version);
    if (format.kind !== 'table') return o;
    const table = toTable(ctx.type, [o], format.version, includeObject, { resourceVersion: o.metadata.resourceVersion ?? '' }, columnsSent);
    columnsSent = true;
    return table;
  };
  const write = (type: EventType, object: JsonObject): void => {
    if (res.writableEnded) return;
    res.write(protobuf ? protobufWatchFrame(type, object) : `${JSON.stringify({ type, object })}\n`);
  };

  let timer: NodeJS.Timeout | undefined;
  let unsubscribe = (): void => {};
  const stop = (): void => {
    if (timer) clearTimeout(timer);
    unsubscribe();
    ctx.shutdown.removeEventListener('abort', stop);
    if (!res.writableEnded) res.end();
  };

  if (rv === undefined || sendInitialEvents) {
    for (const obj of ctx.state.list(ctx.type, ctx.type.namespaced ? ctx.path.namespace : undefined).filter(filter)) write('ADDED', present(obj));
    if (sendInitialEvents) {
      const bookmark = { kind: ctx.type.kind, apiVersion: groupVersion(ctx.type), metadata: { resourceVersion: String(store.currentRevision), annotations: { 'k8s.io/initial-events-end': 'true' } } };
      write('BOOKMARK', bookmark);
    }
  } else {
    const backlog = store.eventsSince(rv);
    if (!backlog) {
      write('ERROR', gone(`too old resource version: ${rv} (${store.oldestResumableRevision})`).toStatus());
      stop();
      return;
    }
    for (const e of backlog.filter((ev) => ev.groupResource === key)) {
      const t = translateEvent(e, filter);
      if (t) write(t, present(e.object));
    }
  }
  unsubscribe = store.subscribe((e) => {
    if (e.groupResource !== key) return;
    const t = translateEvent(e, filter);
    if (t) write(t, present(e.object));
  });
  timer = setTimeout(stop, timeoutSeconds * 1000);
  ctx.shutdown.addEventListener('abort', stop);
  res.on('close', stop);
}
