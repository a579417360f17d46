import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isRoutineMetric, periodicMetrics, type PeriodicMetrics } from '../../../lambdas/middleware/periodic-metrics';

/**
 * The periodic flush, against a real Powertools Metrics instance writing its EMF documents to stdout (captured):
 * routine metrics at most once per interval, anything else at the end of the invocation that added it.
 */

interface EmfDocument {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: [{ readonly Namespace: string; readonly Metrics: { readonly Name: string }[] }] };
  readonly [key: string]: unknown;
}

let written: string[];
let clock: number;

beforeEach(() => {
  written = [];
  clock = 1_000_000;
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

/** The EMF documents written so far. */
function documents(): EmfDocument[] {
  return written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{"_aws"')).map((line) => JSON.parse(line) as EmfDocument);
}

function setup(options: { intervalMs?: number; everyInvocation?: boolean; captureColdStartMetric?: boolean } = {}): { metrics: Metrics; flush: PeriodicMetrics } {
  const metrics = new Metrics({ namespace: 'Gatehouse', serviceName: 'gatehouse' });
  return { metrics, flush: periodicMetrics({ metrics, now: () => clock, everyInvocation: false, ...options }) };
}

/** One invocation that adds `adds` and ends normally (middy's `after`). */
function invocation(metrics: Metrics, flush: PeriodicMetrics, adds: Array<[string, number]>): void {
  for (const [name, value] of adds) metrics.addMetric(name, name.endsWith('latency') ? MetricUnit.Milliseconds : MetricUnit.Count, value);
  void flush.after({} as never);
}

describe('periodicMetrics', () => {
  it('publishes a container\'s first metrics at the end of its first invocation', () => {
    const { metrics, flush } = setup();

    invocation(metrics, flush, [['latency', 12], ['outcome_forwarded', 1]]);

    expect(documents()).toHaveLength(1);
    expect(documents()[0]).toMatchObject({ latency: 12, outcome_forwarded: 1, service: 'gatehouse' });
  });

  it('keeps routine metrics until the interval has passed, then publishes their values accumulated in one document', () => {
    const { metrics, flush } = setup();
    invocation(metrics, flush, [['latency', 10]]);

    clock += 20_000;
    invocation(metrics, flush, [['latency', 11], ['decision_allow', 1], ['upstream_2xx', 1]]);
    clock += 39_999;
    invocation(metrics, flush, [['latency', 12], ['decision_allow', 1], ['stream_end_client', 1]]);
    const beforeInterval = documents().length;
    clock += 1;
    invocation(metrics, flush, [['latency', 13], ['upstream_latency', 5]]);

    expect(beforeInterval).toBe(1);
    expect(documents()).toHaveLength(2);
    expect(documents()[1]).toMatchObject({ latency: [11, 12, 13], decision_allow: [1, 1], upstream_2xx: 1, stream_end_client: 1, upstream_latency: 5 });
  });

  it('publishes at once, with the routine values stored so far, when an invocation adds a failure metric', () => {
    const { metrics, flush } = setup();
    invocation(metrics, flush, [['latency', 10]]);
    clock += 5_000;
    invocation(metrics, flush, [['latency', 11]]);

    clock += 1_000;
    invocation(metrics, flush, [['latency', 12], ['record_write_failed', 1]]);

    expect(documents()).toHaveLength(2);
    expect(documents()[1]).toMatchObject({ latency: [11, 12], record_write_failed: 1 });
  });

  it('publishes a failure on the error path too (onError)', () => {
    const { metrics, flush } = setup();
    invocation(metrics, flush, [['latency', 10]]);

    metrics.addMetric('unauthenticated', MetricUnit.Count, 1);
    void flush.onError({} as never);

    expect(documents().map((d) => d._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name))).toEqual([['latency'], ['unauthenticated']]);
  });

  it('publishes what work after the response added, when asked (the proxy\'s requestEnd)', () => {
    const { metrics, flush } = setup();
    invocation(metrics, flush, [['latency', 10]]);
    metrics.addMetric('replay_write_failed', MetricUnit.Count, 1);

    flush.publishDue();

    expect(documents()[1]).toMatchObject({ replay_write_failed: 1 });
  });

  it('waits for the interval it is given', () => {
    const { metrics, flush } = setup({ intervalMs: 5_000 });
    invocation(metrics, flush, [['latency', 10]]);

    clock += 4_999;
    invocation(metrics, flush, [['latency', 11]]);
    clock += 1;
    invocation(metrics, flush, [['latency', 12]]);

    expect(documents().map((d) => d.latency)).toEqual([10, [11, 12]]);
  });

  it('publishes every invocation where Powertools keeps metrics per invocation (everyInvocation)', () => {
    const { metrics, flush } = setup({ everyInvocation: true });

    invocation(metrics, flush, [['latency', 10]]);
    invocation(metrics, flush, [['latency', 11]]);

    expect(documents().map((d) => d.latency)).toEqual([10, 11]);
  });

  it('writes nothing, not even Powertools\' empty-metrics warning, when no metric is stored', () => {
    const { metrics, flush } = setup();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const warnings = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

    invocation(metrics, flush, []);

    expect(written).toEqual([]);
    expect(warnings).not.toHaveBeenCalled();
  });

  it('leaves Powertools to publish a metric that reaches 100 values, between two flushes', () => {
    const { metrics, flush } = setup();
    invocation(metrics, flush, [['latency', 1]]);

    clock += 1_000;
    for (let i = 0; i < 100; i++) invocation(metrics, flush, [['latency', i]]);

    expect(documents()).toHaveLength(2);
    expect(documents()[1]!.latency).toHaveLength(100);
  });

  it('stamps the values with the time of the flush, not of each request', () => {
    jest.useFakeTimers({ now: 1_800_000_000_000, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'] });
    const metrics = new Metrics({ namespace: 'Gatehouse', serviceName: 'gatehouse' });
    const flush = periodicMetrics({ metrics, everyInvocation: false, now: () => Date.now() });
    invocation(metrics, flush, [['latency', 10]]);
    invocation(metrics, flush, [['latency', 11]]);

    jest.setSystemTime(1_800_000_090_000);
    invocation(metrics, flush, [['latency', 12]]);

    expect(documents().map((d) => d._aws.Timestamp)).toEqual([1_800_000_000_000, 1_800_000_090_000]);
    expect(documents()[1]!.latency).toEqual([11, 12]);
  });

  it('publishes the ColdStart metric once, in a document of its own, when asked to', () => {
    // Powertools counts a cold start only in an on-demand execution environment, as Lambda says in this variable.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const { metrics, flush } = setup({ captureColdStartMetric: true });
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

    void flush.before({ context: { functionName: 'gatehouse-proxy' } } as never);
    void flush.before({ context: { functionName: 'gatehouse-proxy' } } as never);

    expect(documents()).toEqual([expect.objectContaining({ ColdStart: 1, function_name: 'gatehouse-proxy' })]);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

describe('isRoutineMetric', () => {
  it.each(['latency', 'upstream_latency', 'decision_allow', 'decision_deny', 'outcome_forwarded', 'outcome_refused_by_cluster', 'outcome_denied', 'upstream_5xx', 'stream_end_client'])(
    'lets %s wait for the periodic flush', (name) => {
      expect(isRoutineMetric(name)).toBe(true);
    },
  );

  it.each(['outcome_failed', 'record_write_failed', 'replay_write_failed', 'replay_batch_fallback', 'replay_body_omitted', 'unauthenticated', 'watch_cap_refused', 'latency_p99', 'upstream_latency_ms'])(
    'publishes %s at once', (name) => {
      expect(isRoutineMetric(name)).toBe(false);
    },
  );
});
