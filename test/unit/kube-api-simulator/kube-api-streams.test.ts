import type { IncomingMessage } from 'node:http';
import { FOLLOW_BURST_ANNOTATION } from '../../../local/kube-api-simulator/read-handlers';
import { startFixture, type SimulatorFixture } from './simulator-fixture';

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

let f: SimulatorFixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, labels: Record<string, string> = {}): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: 'b' } });

/** Collects newline-delimited watch events until the server ends the stream. */
async function collectEvents(res: IncomingMessage): Promise<Obj[]> {
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Obj);
}

const summary = (events: Obj[]): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`.trim());

describe('watch', () => {
  it('streams initial ADDED events, then changes, and ends after timeoutSeconds', async () => {
    // Arrange
    const res = await f.stream(`${CM}?watch=true&timeoutSeconds=1&labelSelector=w%3D1`);
    expect(res.headers['content-type']).toBe('application/json');
    const events = collectEvents(res);
    await f.request('POST', CM, { body: cm('w-first', { w: '1' }) });

    // Act
    await f.request('PATCH', `${CM}/w-first`, { headers: { 'content-type': 'application/merge-patch+json' }, body: { data: { a: 'c' } } });
    await f.request('PATCH', `${CM}/w-first`, { headers: { 'content-type': 'application/merge-patch+json' }, body: { metadata: { labels: { w: '2' } } } });
    await f.request('POST', CM, { body: cm('w-other', { w: '2' }) });
    await f.request('DELETE', `${CM}/w-first`);

    // Assert: leaving the label filter reads as DELETED, objects outside it never show up.
    expect(summary(await events)).toEqual(['ADDED w-first', 'MODIFIED w-first', 'DELETED w-first']);
  });

  it('replays changes after a resourceVersion instead of listing everything again', async () => {
    // Arrange
    const list = (await f.request('GET', `${CM}?limit=1`)).json<Obj>();
    await f.request('POST', CM, { body: cm('after-list') });

    // Act
    const events = await collectEvents(await f.stream(`${CM}?watch=1&timeoutSeconds=1&resourceVersion=${list.metadata.resourceVersion}`));

    // Assert
    expect(summary(events)).toEqual(['ADDED after-list']);
  });

  it('with sendInitialEvents ends the initial list with an initial-events-end BOOKMARK', async () => {
    // Act
    const events = await collectEvents(await f.stream('/api/v1/namespaces?watch=1&timeoutSeconds=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'));

    // Assert
    expect(events.slice(0, -1).every((e) => e.type === 'ADDED')).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  });

  it('sends Table objects to a Table watch, column definitions only in the first event', async () => {
    // Act
    const res = await f.stream('/api/v1/namespaces/prod/pods?watch=true&timeoutSeconds=1', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    const events = await collectEvents(res);

    // Assert
    expect(events.map((e) => e.object.kind)).toEqual(events.map(() => 'Table'));
    expect(events[0]!.object.columnDefinitions).toBeDefined();
    expect(events[1]!.object.columnDefinitions).toBeUndefined();
  });
});

describe('pod logs', () => {
  const LOG = '/api/v1/namespaces/prod/pods/api-6d4b8c7f9-x7k2p/log';

  it('returns deterministic text/plain lines, one carrying an AWS-key-looking value', async () => {
    // Act
    const first = await f.request('GET', LOG);
    const second = await f.request('GET', LOG);

    // Assert
    expect(first.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(first.text).toBe(second.text);
    expect(first.text.split('\n').filter(Boolean)).toHaveLength(12);
    expect(first.text).toContain('access_key_id=AKIAIOSFODNN7EXAMPLE');
  });

  it.each([
    ['?tailLines=2', 2],
    ['?tailLines=0', 0],
    ['?container=api&tailLines=3&timestamps=true', 3],
  ])('honours %s', async (query, lines) => {
    // Act
    const res = await f.request('GET', `${LOG}${query}`);

    // Assert
    const got = res.text.split('\n').filter(Boolean);
    expect(got).toHaveLength(lines);
    if (query.includes('timestamps')) expect(got[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  it('refuses an unknown container with 400', async () => {
    const res = await f.request('GET', `${LOG}?container=nope`);
    expect(res.json()).toMatchObject({ code: 400, message: 'container nope is not valid for pod api-6d4b8c7f9-x7k2p' });
  });

  it('streams more lines with follow=true, then ends', async () => {
    // Act
    const res = await f.stream(`${LOG}?follow=true&tailLines=1`);
    let text = '';
    for await (const chunk of res) text += (chunk as Buffer).toString('utf8');

    // Assert
    expect(text.split('\n').filter(Boolean)).toEqual([
      expect.stringContaining('served 42 requests'),
      expect.stringContaining('heartbeat 1'),
      expect.stringContaining('heartbeat 2'),
      expect.stringContaining('heartbeat 3'),
    ]);
  });
});

describe('a chatty container (the benchmark\'s follow-burst-lines knob)', () => {
  it('streams as many follow lines as its annotation says, as fast as they are read, then ends', async () => {
    // Arrange
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'chatty', annotations: { [FOLLOW_BURST_ANNOTATION]: '5000' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
    await f.request('POST', '/api/v1/namespaces/default/pods', { body: pod });
    // Act
    const res = await f.stream('/api/v1/namespaces/default/pods/chatty/log?follow=true&tailLines=0');
    let text = '';
    for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
    // Assert
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(5000);
    expect(lines.at(-1)).toContain('heartbeat 5000');
  });
});

describe('options', () => {
  it('adds delayMs of latency to every request', async () => {
    // Arrange
    const slow = await startFixture({ delayMs: 150, seed: false });

    // Act
    const started = Date.now();
    const res = await slow.request('GET', '/api/v1/namespaces');
    const elapsed = Date.now() - started;
    await slow.sim.close();

    // Assert
    expect(elapsed).toBeGreaterThanOrEqual(150);
    // Without demo objects only the namespaces every cluster has remain.
    expect(res.json<Obj>().items.map((n: Obj) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  it('ends open watches when closed', async () => {
    // Arrange
    const other = await startFixture({ seed: false });
    const res = await other.stream('/api/v1/namespaces?watch=true');
    const ended = new Promise<void>((resolve) => {
      res.on('end', resolve);
      res.on('close', resolve);
      res.resume();
    });

    // Act
    await other.sim.close();

    // Assert
    await expect(ended).resolves.toBeUndefined();
  });
});
