import { applyPatch } from '../../../lambdas/core/patch/apply-patch';
import type { Json } from '../../../lambdas/core/patch/apply-json-patch';

/** A live Deployment whose pod securityContext was applied by `kubectl` (and maybe also owned by someone else). */
function live(otherOwnsRunAsNonRoot: boolean): Json {
  const mine = { 'f:spec': { 'f:template': { 'f:spec': { 'f:securityContext': { '.': {}, 'f:runAsNonRoot': {} }, 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } } } };
  const theirs = { 'f:spec': { 'f:template': { 'f:spec': { 'f:securityContext': { 'f:runAsNonRoot': {} } } } } };
  return {
    metadata: {
      name: 'web', resourceVersion: '7',
      managedFields: [
        { manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: mine },
        ...(otherOwnsRunAsNonRoot ? [{ manager: 'admission-bot', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: theirs }] : []),
      ],
    },
    spec: { template: { spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'b' }] } } },
  };
}

const reapplied = { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (r: ReturnType<typeof applyPatch>) => ((r as { value: any }).value).spec.template.spec;

describe('server-side apply as the server stores it', () => {
  it('removes a field the same manager applied before and now leaves out', () => {
    const result = applyPatch(live(false), reapplied, 'apply', { fieldManager: 'kubectl' });
    expect(spec(result).securityContext).toBeUndefined();
    expect(spec(result).containers.map((c: { image: string }) => c.image)).toEqual(['nginx:2', 'b']);
  });

  it('keeps a field another manager also owns', () => {
    expect(spec(applyPatch(live(true), reapplied, 'apply', { fieldManager: 'kubectl' })).securityContext).toEqual({ runAsNonRoot: true });
  });

  it('keeps fields applied by another field manager', () => {
    expect(spec(applyPatch(live(false), reapplied, 'apply', { fieldManager: 'helm' })).securityContext).toEqual({ runAsNonRoot: true });
  });

  it('removes a keyed list item the manager applied before and now leaves out, and keeps what it still applies', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const liveObject = live(false) as any;
    liveObject.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"side"}'] = { '.': {}, 'f:name': {} };
    const config = { spec: { template: { spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: 'web', image: 'nginx:1' }] } } } };
    const result = applyPatch(liveObject, config, 'apply', { fieldManager: 'kubectl' });
    expect(spec(result).containers.map((c: { name: string }) => c.name)).toEqual(['web']);
  });
});
