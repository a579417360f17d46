import { fromFieldsV1, leafValues, toFieldsV1 } from '../../../local/kube-api-simulator/managed-fields';
import { describeFieldPath, serverSideApply, type ApplyRequest } from '../../../local/kube-api-simulator/server-side-apply';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import type { JsonObject, KubeObject } from '../../../local/kube-api-simulator/types';

const qr = { group: '', resource: 'configmaps' };
const cm = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data });
const apply = (live: KubeObject | undefined, applied: KubeObject, manager = 'kubectl', force = false): KubeObject =>
  serverSideApply({ live, applied, manager, force, apiVersion: 'v1', scope: 'all', qualifiedResource: qr } satisfies ApplyRequest);
const owners = (obj: KubeObject): Record<string, string[]> =>
  Object.fromEntries((obj.metadata.managedFields as JsonObject[]).map((e) => [`${String(e.manager)}/${String(e.operation)}`, [...fromFieldsV1(e.fieldsV1)].sort()]));

describe('server-side apply', () => {
  it('creates with an Apply managedFields entry listing exactly the applied fields', () => {
    // Act
    const created = apply(undefined, cm({ a: '1', b: '2' }));

    // Assert
    expect(created.data).toEqual({ a: '1', b: '2' });
    expect(owners(created)).toEqual({ 'kubectl/Apply': ['f:data\nf:a', 'f:data\nf:b'] });
    expect((created.metadata.managedFields as JsonObject[])[0]!.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
  });

  it('removes a field the same manager applied before and no longer applies', () => {
    // Arrange
    const first = apply(undefined, cm({ a: '1', b: '2' }));

    // Act
    const second = apply(first, cm({ a: '1', c: '3' }));

    // Assert
    expect(second.data).toEqual({ a: '1', c: '3' });
  });

  it('keeps a field another manager also owns when this manager stops applying it', () => {
    // Arrange
    const mine = apply(undefined, cm({ a: '1', b: '2' }));
    const shared = apply(mine, cm({ b: '2' }), 'other');

    // Act
    const result = apply(shared, cm({ a: '1' }));

    // Assert
    expect(result.data).toEqual({ a: '1', b: '2' });
  });

  it('refuses to change a field another manager owns with a 409 naming manager and field', () => {
    // Arrange
    const live = apply(undefined, cm({ a: '1' }), 'helm');

    // Act
    let error: unknown;
    try {
      apply(live, cm({ a: '2' }));
    } catch (err) {
      error = err;
    }

    // Assert
    expect(error).toBeInstanceOf(KubeApiError);
    const status = (error as KubeApiError).toStatus();
    expect(status.code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "helm" using v1: .data.a');
    expect((status.details as JsonObject).causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "helm" using v1', field: '.data.a' }]);
  });

  it('with force takes the field over from the other manager', () => {
    // Arrange
    const live = apply(undefined, cm({ a: '1', z: '0' }), 'helm');

    // Act
    const result = apply(live, cm({ a: '2' }), 'kubectl', true);

    // Assert
    expect(result.data).toEqual({ a: '2', z: '0' });
    expect(owners(result)).toEqual({ 'helm/Apply': ['f:data\nf:z'], 'kubectl/Apply': ['f:data\nf:a'] });
  });

  it('shares ownership without conflict when the value is the same', () => {
    // Arrange
    const live = apply(undefined, cm({ a: '1' }), 'helm');

    // Act
    const result = apply(live, cm({ a: '1' }));

    // Assert
    expect(owners(result)).toEqual({ 'helm/Apply': ['f:data\nf:a'], 'kubectl/Apply': ['f:data\nf:a'] });
  });

  it('merges keyed lists item by item and records them with k: keys', () => {
    // Arrange
    const pod = (containers: JsonObject[]): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers } });
    const live = apply(undefined, pod([{ name: 'a', image: 'a:1' }]), 'one');

    // Act
    const result = apply(live, pod([{ name: 'b', image: 'b:1' }]), 'two');

    // Assert
    expect(((result.spec as JsonObject).containers as JsonObject[]).map((c) => c.name)).toEqual(['a', 'b']);
    expect(owners(result)['two/Apply']).toContain('f:spec\nf:containers\nk:{"name":"b"}\nf:image');
  });
});

describe('managed field paths', () => {
  it.each([
    ['f:spec\nf:replicas', '.spec.replicas'],
    ['f:spec\nf:containers\nk:{"name":"app"}\nf:image', '.spec.containers[name="app"].image'],
    ['f:metadata\nf:finalizers\nv:"x"', '.metadata.finalizers[="x"]'],
  ])('%p reads as %p', (path, expected) => {
    expect(describeFieldPath(path)).toBe(expected);
  });

  it('round-trips a field set through fieldsV1, with "." for owned parents', () => {
    // Arrange
    const obj = { metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } as unknown as KubeObject;
    const paths = [...leafValues(obj, 'all').keys()];

    // Act
    const fieldsV1 = toFieldsV1(paths);

    // Assert
    expect(fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:a': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    });
    expect([...fromFieldsV1(fieldsV1)].sort()).toEqual([...paths].sort());
  });
});
