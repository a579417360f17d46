import type { ClusterState } from './cluster-state';
import { recordUpdate } from './managed-fields';
import { applyDefaults, prepareCreate } from './object-defaults';
import { groupVersion } from './resource-type';
import { seedObjects } from './seed-objects';
import { reconcileStatus } from './simulated-controllers';
import { cloneJson, isJsonObject } from './types';
import { scopeOf } from './write-pipeline';

/**
 * Loads the seed: with `demo` false only what every cluster has (the system namespaces, without which
 * kubectl's default namespace would not exist), else also the demo objects. They go through the same
 * stamping, defaulting and status simulation as API writes, back-dated so AGE columns look like a
 * cluster that has been running for days. Seeded statuses (a crash-looping pod) are kept, which an
 * API create would not allow.
 */
export function loadSeed(state: ClusterState, demo: boolean): void {
  const uids = new Map<string, string>();
  for (const entry of seedObjects().filter((e) => demo || e.system)) {
    const obj = cloneJson(entry.object);
    const [group, version] = obj.apiVersion!.includes('/') ? obj.apiVersion!.split('/') as [string, string] : ['', obj.apiVersion!];
    const type = state.catalog.findByKind(group, version, obj.kind!);
    if (!type) throw new Error(`seed object of unknown kind ${obj.apiVersion}/${obj.kind}`);
    const namespace = obj.metadata.namespace;
    prepareCreate(type, obj, namespace);
    obj.metadata.creationTimestamp = new Date(Date.now() - entry.ageSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (entry.owner) {
      const uid = uids.get(`${entry.owner.kind}/${namespace ?? ''}/${entry.owner.name}`);
      obj.metadata.ownerReferences = [{ ...entry.owner, uid: uid ?? '', controller: true, blockOwnerDeletion: true }];
    }
    if (isJsonObject(obj.involvedObject) && !obj.involvedObject.uid) {
      // Events point at their object by uid too; kubectl describe selects on it.
      const ref = obj.involvedObject;
      ref.uid = uids.get(`${String(ref.kind)}/${String(ref.namespace ?? '')}/${String(ref.name)}`) ?? '';
    }
    applyDefaults(type, obj);
    reconcileStatus(type, obj, undefined);
    obj.metadata.managedFields = [];
    recordUpdate(undefined, obj, entry.owner ? 'kube-controller-manager' : 'kubectl-create', groupVersion(type), scopeOf(type, undefined));
    const saved = state.save(type, obj);
    uids.set(`${type.kind}/${namespace ?? ''}/${saved.metadata.name}`, saved.metadata.uid!);
  }
}
