import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * Metrics that describe normal traffic: a CloudWatch alarm on them (a latency percentile, a rate of denials) reads
 * minutes of data, so they can wait for the next periodic flush. `outcome_failed` is left out on purpose: it counts
 * requests Gatehouse failed after recording their intent, which an alarm wants at once, like every metric not
 * listed here (record_write_failed, replay_write_failed, replay_batch_fallback, unauthenticated, *_cap_refused, ...).
 */
export const ROUTINE_METRICS: readonly RegExp[] = [
  /^latency$/,
  /^upstream_latency$/,
  /^decision_/,
  /^outcome_(?!failed$)/,
  /^upstream_\dxx$/,
  /^stream_end_/,
];

/** Whether a metric can wait for the periodic flush (see {@link ROUTINE_METRICS}). */
export function isRoutineMetric(name: string): boolean {
  return ROUTINE_METRICS.some((pattern) => pattern.test(name));
}

/** Options of {@link periodicMetrics}. */
export interface PeriodicMetricsOptions {
  /** The Powertools Metrics instance the handler adds its metrics to. */
  readonly metrics: Metrics;
  /** Least time between two flushes of routine metrics, in milliseconds. @default 60_000 */
  readonly intervalMs?: number;
  /** Whether a metric can wait; any other one is published at the end of the invocation that added it. @default isRoutineMetric */
  readonly isRoutine?: (name: string) => boolean;
  /** Publish Powertools' `ColdStart` metric (its own document, once per container), as `logMetrics` does. @default false */
  readonly captureColdStartMetric?: boolean;
  /**
   * Publish at the end of every invocation, as `logMetrics` does. Needed where Powertools keeps stored metrics per
   * invocation: with Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY` set), values left stored are dropped.
   * @default whether AWS_LAMBDA_MAX_CONCURRENCY is set
   */
  readonly everyInvocation?: boolean;
  /** The clock, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** The middleware, and the same check for work that runs after the response (middy's `requestEnd`), which `after` does not see. */
export interface PeriodicMetrics extends Required<Pick<MiddlewareObj, 'before' | 'after' | 'onError'>> {
  /** Publishes the stored metrics if they are due (see {@link periodicMetrics}). */
  publishDue(): void;
}

/**
 * Publishes a Powertools Metrics instance's stored metrics at most once per `intervalMs` instead of once per
 * invocation (Powertools' `logMetrics`), which writes one EMF document of ~450 B per request to CloudWatch Logs.
 * Repeated `addMetric` calls with one name accumulate their values in one document (CloudWatch reads each value),
 * so one document per minute and container carries the same data. Stored metrics are published, at the end of
 * an invocation (`after`, `onError`, {@link PeriodicMetrics.publishDue}), when:
 *
 * - none was published by this container yet, or `intervalMs` has passed since the last flush;
 * - any stored metric is not routine ({@link ROUTINE_METRICS}): a failure counts at once, for its alarm;
 * - every invocation, where Powertools stores metrics per invocation (see `everyInvocation`).
 *
 * Powertools publishes by itself when a metric reaches 100 values or a 101st metric is added (its EMF limits),
 * so a busy container never loses values to them.
 *
 * The trade: a container that is never invoked again after its last flush (it goes idle and Lambda reaps it)
 * loses the routine values stored since then, up to `intervalMs` of them; never a failure metric, which is
 * published before its invocation ends. Routine metrics are therefore a lower bound (the records table holds the
 * exact count), and their values carry the timestamp of the flush, not of each request: up to `intervalMs` late.
 * Only for metrics without per-invocation dimensions or metadata, which Powertools clears at each flush.
 */
export function periodicMetrics(options: PeriodicMetricsOptions): PeriodicMetrics {
  const { metrics } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  const isRoutine = options.isRoutine ?? isRoutineMetric;
  const everyInvocation = options.everyInvocation ?? Boolean(process.env.AWS_LAMBDA_MAX_CONCURRENCY);
  const now = options.now ?? Date.now;
  let lastFlush: number | undefined;

  const storedNames = (): string[] => metrics.serializeMetrics()._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((m) => m.Name));
  const publishDue = (): void => {
    if (!metrics.hasStoredMetrics()) return;
    const at = now();
    const due = everyInvocation || lastFlush === undefined || at - lastFlush >= intervalMs || storedNames().some((name) => !isRoutine(name));
    if (!due) return;
    metrics.publishStoredMetrics();
    lastFlush = at;
  };

  return {
    before: (request) => {
      if (options.captureColdStartMetric) metrics.captureColdStartMetric((request.context as { functionName?: string } | undefined)?.functionName);
    },
    after: publishDue,
    onError: publishDue,
    publishDue,
  };
}
