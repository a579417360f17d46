import { matchesFields, parseFieldSelector } from './field-selector';
import { outputOptions, plainFormat, sendFormatted, sendText, type HandlerContext } from './http-io';
import { matchesLabels, parseLabelSelector } from './label-selector';
import { decodeContinue, paginate, parseLimit } from './list-paging';
import { negotiateOutput } from './media-types';
import { containerLogLines, followLine, parseLogOptions, renderLog, selectContainer } from './pod-logs';
import { badRequest, gone, tooLargeResourceVersion } from './status-errors';
import { parseIncludeObject, renderList, renderObject } from './table-convertor';
import { isJsonObject, type JsonObject, type KubeObject } from './types';

/** A filter built from `labelSelector` and `fieldSelector` (400 on bad syntax or unsupported fields). */
export type ObjectFilter = (obj: KubeObject) => boolean;

/** Parses the list/watch selectors of a request into one predicate. */
export function selectorFilter(ctx: HandlerContext): { filter: ObjectFilter; hasSelectors: boolean } {
  const labels = parseLabelSelector(ctx.query.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(ctx.query.get('fieldSelector') ?? undefined, ctx.type);
  return {
    filter: (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, ctx.type, obj),
    hasSelectors: labels.length > 0 || fields.length > 0,
  };
}

/** Parses `resourceVersion` into a revision (undefined for "" and "0", which mean "any"). */
export function parseResourceVersion(value: string | null): number | undefined {
  if (value === null || value === '' || value === '0') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(value)}: must be a valid resource version`);
  return Number(value);
}

/** GET of one object (also `/status`, which returns the whole object as on the real server). */
export function handleGet(ctx: HandlerContext): void {
  const obj = ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  const format = negotiateOutput(ctx.req.headers.accept, outputOptions(ctx.type));
  sendFormatted(ctx, 200, renderObject(ctx.type, obj, format, parseIncludeObject(ctx.query.get('includeObject'))), format);
}

function checkListResourceVersion(ctx: HandlerContext, hasContinue: boolean): void {
  const rvText = ctx.query.get('resourceVersion');
  const match = ctx.query.get('resourceVersionMatch');
  if (hasContinue && rvText) throw badRequest('specifying resource version is not allowed when using continue');
  if (match && !rvText) throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match && match !== 'Exact' && match !== 'NotOlderThan') throw badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
  if (match === 'Exact' && rvText === '0') throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  const rv = parseResourceVersion(rvText);
  const current = ctx.state.store.currentRevision;
  if (rv !== undefined && rv > current) throw tooLargeResourceVersion(rv, current);
  // The simulator keeps no snapshots: an exact list in the past is as gone as after an etcd compaction.
  if (rv !== undefined && match === 'Exact' && rv < current) throw gone(`The resourceVersion for the provided list is too old.`);
}

/** LIST with selectors, paging (`limit`/`continue`) and the Table / PartialObjectMetadataList forms. */
export function handleList(ctx: HandlerContext): void {
  const format = negotiateOutput(ctx.req.headers.accept, outputOptions(ctx.type));
  const includeObject = parseIncludeObject(ctx.query.get('includeObject'));
  const { filter, hasSelectors } = selectorFilter(ctx);
  const limit = parseLimit(ctx.query.get('limit'));
  const continueToken = ctx.query.get('continue');
  checkListResourceVersion(ctx, Boolean(continueToken));
  const position = continueToken ? decodeContinue(continueToken) : undefined;
  const listRevision = position?.resourceVersion ?? ctx.state.store.currentRevision;
  const objects = ctx.state.list(ctx.type, ctx.path.namespace).filter(filter);
  const page = paginate(objects, limit, position, listRevision, !hasSelectors);
  const body = renderList(ctx.type, page.items, format, includeObject, {
    resourceVersion: String(listRevision),
    continue: page.continue,
    remainingItemCount: page.remainingItemCount,
  });
  sendFormatted(ctx, 200, body, format);
}

/** The autoscaling/v1 Scale view of a scalable object. */
export function scaleOf(obj: KubeObject): JsonObject {
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  const status = isJsonObject(obj.status) ? obj.status : {};
  const selector = isJsonObject(spec.selector) && isJsonObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`).join(','),
    },
  };
}

/** autoscaling/v1 Scale, which the simulator can also answer in protobuf. */
export const SCALE_OUTPUT = { protobuf: true } as const;

/** GET `/scale`. */
export function handleGetScale(ctx: HandlerContext): void {
  const obj = ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  sendFormatted(ctx, 200, scaleOf(obj), plainFormat(ctx, SCALE_OUTPUT));
}

// Interval between the extra lines of `follow=true`, and how many: enough to see streaming, then EOF.
const FOLLOW_INTERVAL_MS = 100;
const FOLLOW_EXTRA_LINES = 3;

/**
 * A pod annotated with this many lines (a stand-in knob for benchmarks, not a Kubernetes annotation) streams that
 * many follow lines as fast as the client reads them, then ends: a chatty container.
 */
export const FOLLOW_BURST_ANNOTATION = 'simulator.gatehouse.dev/follow-burst-lines';

/** Writes `count` follow lines in batches, waiting for the socket to drain, then ends the response. */
function writeBurst(ctx: HandlerContext, options: ReturnType<typeof parseLogOptions>, offset: number, count: number): void {
  const res = ctx.res;
  let sent = 0;
  const batch = 200;
  const next = (): void => {
    while (sent < count && !res.destroyed && !ctx.shutdown.aborted) {
      const lines = Array.from({ length: Math.min(batch, count - sent) }, (_, i) => followLine(sent + i));
      const more = res.write(renderLog(lines, { ...options, tailLines: undefined }, offset + sent));
      sent += lines.length;
      if (!more) {
        res.once('drain', next);
        return;
      }
    }
    if (!res.writableEnded) res.end();
  };
  next();
}

/** GET `pods/<name>/log`: text/plain, deterministic lines; `follow=true` streams a few more then ends. */
export function handleLogs(ctx: HandlerContext): void {
  const pod = ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  const options = parseLogOptions(ctx.query);
  const container = selectContainer(pod, options.container);
  const lines = containerLogLines(pod, container, options.previous);
  let text = renderLog(lines, options);
  if (options.limitBytes !== undefined) text = Buffer.from(text).subarray(0, options.limitBytes).toString('utf8');
  if (!options.follow) {
    sendText(ctx.res, 200, text);
    return;
  }
  const res = ctx.res;
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.write(text);
  const burst = Number(pod.metadata.annotations?.[FOLLOW_BURST_ANNOTATION] ?? 0);
  if (Number.isInteger(burst) && burst > 0) {
    writeBurst(ctx, options, lines.length, burst);
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= FOLLOW_EXTRA_LINES || res.destroyed) {
      stop();
      return;
    }
    res.write(renderLog([followLine(sent)], { ...options, tailLines: undefined }, lines.length + sent));
    sent += 1;
  }, FOLLOW_INTERVAL_MS);
  const stop = (): void => {
    clearInterval(timer);
    ctx.shutdown.removeEventListener('abort', stop);
    if (!res.writableEnded) res.end();
  };
  ctx.shutdown.addEventListener('abort', stop);
  res.on('close', stop);
}
