import type { Json } from '../../../lambdas/core/patch/apply-json-patch';
import { applyPatch, type PatchKind } from '../../../lambdas/core/patch/apply-patch';
import { deepFreeze, errorOf, valueOf } from './support';

type Obj = { [key: string]: Json };

const deployment = (): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', resourceVersion: '7', finalizers: ['a'] },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], tolerations: [{ key: 'k' }] } } },
});
const containersOf = (v: Json): Json => ((((v as Obj).spec as Obj).template as Obj).spec as Obj).containers!;
const podSpec = (spec: Obj): Obj => ({ spec: { template: { spec } } });

describe('applyPatch: dispatch by patch type', () => {
  it.each<[string, PatchKind, unknown, Json]>([
    ['json: operations apply in order', 'json', [{ op: 'replace', path: '/spec/template/spec/containers/-1/image', value: 'evil' }], [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'evil' }]],
    ['merge: a list replaces the whole list', 'merge', podSpec({ containers: [{ name: 'side', image: 'evil' }] }), [{ name: 'side', image: 'evil' }]],
    ['strategic: containers merge by name', 'strategic', podSpec({ containers: [{ name: 'side', image: 'evil' }] }), [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'evil' }]],
    ['apply: keyed lists merge on their key', 'apply', podSpec({ containers: [{ name: 'side', image: 'evil' }] }), [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'evil' }]],
  ])('%s', (_case, kind, patch, containers) => {
    // Act
    const result = applyPatch(deepFreeze(deployment()), deepFreeze(patch), kind);
    // Assert
    expect(containersOf(valueOf(result))).toEqual(containers);
  });

  it.each<[string, PatchKind, unknown, RegExp]>([
    ['json: a patch that is not a list', 'json', {}, /list of operations/],
    ['json: a failed test (422)', 'json', [{ op: 'test', path: '/metadata/resourceVersion', value: '6' }], /testing value/],
    ['json: a document made a list (the typed decode fails)', 'json', [{ op: 'replace', path: '', value: [] }], /not a JSON object/],
    ['merge: a list body', 'merge', [], /must be a JSON object/],
    ['strategic: a merge list item without its key', 'strategic', podSpec({ containers: [{ image: 'x' }] }), /merge key/],
    ['apply: a list body', 'apply', [], /must be an object/],
  ])('refuses %s', (_case, kind, patch, expected) => {
    expect(errorOf(applyPatch(deployment(), patch, kind))).toMatch(expected);
  });

  it('lets a JSON patch replace the whole document with another object', () => {
    expect(valueOf(applyPatch(deployment(), [{ op: 'replace', path: '', value: { kind: 'Deployment', metadata: { name: 'web' } } }], 'json'))).toEqual({ kind: 'Deployment', metadata: { name: 'web' } });
  });
});

describe('applyPatch: an object that does not exist yet', () => {
  it.each<PatchKind>(['json', 'merge', 'strategic'])('refuses a %s patch (the server answers 404)', (kind) => {
    expect(errorOf(applyPatch(null, {}, kind))).toMatch(/does not exist/);
  });

  it('creates it from a server-side apply', () => {
    const applied = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    const result = valueOf(applyPatch(null, deepFreeze(applied), 'apply'));
    expect(result).toEqual(applied);
    expect(result).not.toBe(applied);
  });

  it('refuses a server-side apply that is not an object', () => {
    expect(errorOf(applyPatch(null, 'x', 'apply'))).toMatch(/must be an object/);
  });
});

describe('applyPatch: server-side apply, approximated by the patch table', () => {
  it.each<[string, unknown, (v: Obj) => Json, Json]>([
    ['atomic lists are replaced', podSpec({ tolerations: [{ key: 'x' }] }), (v) => (((v.spec as Obj).template as Obj).spec as Obj).tolerations!, [{ key: 'x' }]],
    ['a set (finalizers) gains new values', { metadata: { finalizers: ['b', 'a'] } }, (v) => (v.metadata as Obj).finalizers!, ['a', 'b']],
    ['null removes a field', { spec: { replicas: null } }, (v) => Object.keys(v.spec as Obj), ['template']],
    ['maps merge', { metadata: { labels: { app: 'web' } } }, (v) => v.metadata!, { name: 'web', resourceVersion: '7', finalizers: ['a'], labels: { app: 'web' } }],
    ['a new keyed item is added', podSpec({ containers: [{ name: 'new', image: 'x' }] }), (v) => containersOf(v), [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }, { name: 'new', image: 'x' }]],
  ])('%s', (_case, patch, pick, expected) => {
    expect(pick(valueOf(applyPatch(deepFreeze(deployment()), deepFreeze(patch), 'apply')) as Obj)).toEqual(expected);
  });
});

describe('applyPatch never changes its input', () => {
  it.each<[PatchKind, unknown]>([
    ['json', [{ op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { privileged: true } }, { op: 'remove', path: '/metadata/finalizers/0' }]],
    ['merge', { spec: { template: { spec: { containers: null } } }, metadata: { finalizers: ['x'] } }],
    ['strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] }, spec: { template: { spec: { containers: [{ name: 'web', $patch: 'delete' }] } } } }],
    ['apply', { spec: { template: { spec: { containers: [{ name: 'web', image: 'x' }] } } } }],
  ])('%s', (kind, patch) => {
    // Arrange
    const live = deepFreeze(deployment());
    const before = JSON.stringify(live);
    // Act
    const result = applyPatch(live, deepFreeze(patch), kind);
    // Assert
    expect('value' in result).toBe(true);
    expect(JSON.stringify(live)).toBe(before);
  });
});
