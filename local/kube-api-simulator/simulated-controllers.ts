import { nowTimestamp } from './managed-fields';
import { fakeDigest, SIMULATED_NODE } from './object-defaults';
import type { ResourceType } from './resource-type';
import { isJsonObject, type JsonObject, type KubeObject } from './types';

/**
 * Stands in for the controllers and kubelet a real cluster runs: after a write, objects get the status
 * those would eventually give them, at once (pods Running, deployments fully available, namespaces
 * Active, CRDs Established, claims Bound). There is no scheduling, no image pull, no ReplicaSet
 * rollout: a Deployment's replica count shows in its status, not as new pods.
 */

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Drops zero counters, as Go's `omitempty` does in the real status JSON. */
function counters(values: Record<string, number>): JsonObject {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0));
}

function condition(type: string, reason: string, message: string, at: string): JsonObject {
  return { type, status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason, message };
}

function podIpFor(name: string): string {
  const h = parseInt(fakeDigest(name).slice(0, 4), 16);
  return `10.244.${(h >> 8) % 250}.${(h % 250) + 2}`;
}

function runningPodStatus(pod: KubeObject): JsonObject {
  const at = pod.metadata.creationTimestamp ?? nowTimestamp();
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const containers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isJsonObject);
  const conditionTypes = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  const podIP = podIpFor(`${pod.metadata.namespace}/${pod.metadata.name}`);
  return {
    phase: 'Running',
    conditions: conditionTypes.map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at })),
    hostIP: '10.0.0.10',
    hostIPs: [{ ip: '10.0.0.10' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: at,
    containerStatuses: containers.map((c) => ({
      name: c.name ?? '',
      state: { running: { startedAt: at } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image ?? '',
      imageID: `${String(c.image ?? '')}@sha256:${fakeDigest(String(c.image ?? ''))}`,
      containerID: `containerd://${fakeDigest(`${pod.metadata.uid}/${String(c.name)}`)}`,
      started: true,
    })),
    qosClass: containers.some((c) => isJsonObject(c.resources) && Object.keys(c.resources).length > 0) ? 'Burstable' : 'BestEffort',
  };
}

function workloadStatus(type: ResourceType, o: KubeObject, previous: KubeObject | undefined): JsonObject {
  const spec = isJsonObject(o.spec) ? o.spec : {};
  const generation = num(o.metadata.generation, 1);
  const replicas = num(spec.replicas, 1);
  const at = nowTimestamp();
  switch (type.resource) {
    case 'deployments': {
      const before = previous && isJsonObject(previous.status) ? previous.status : {};
      const conditions = Array.isArray(before.conditions) && before.conditions.length > 0
        ? before.conditions
        : [condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', at),
          condition('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${o.metadata.name}" has successfully progressed.`, at)];
      return { observedGeneration: generation, ...counters({ replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas }), conditions };
    }
    case 'replicasets':
      return { observedGeneration: generation, ...counters({ replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas }), replicas };
    case 'statefulsets':
      return {
        observedGeneration: generation, replicas, ...counters({ readyReplicas: replicas, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas }),
        currentRevision: `${o.metadata.name}-${fakeDigest(JSON.stringify(spec.template ?? {})).slice(0, 10)}`,
        updateRevision: `${o.metadata.name}-${fakeDigest(JSON.stringify(spec.template ?? {})).slice(0, 10)}`,
        collisionCount: 0,
      };
    case 'daemonsets':
      return { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberAvailable: 1, numberMisscheduled: 0, numberReady: 1, observedGeneration: generation, updatedNumberScheduled: 1 };
    case 'jobs': {
      const before = isJsonObject(o.status) ? o.status : {};
      if (before.completionTime) return before;
      const start = o.metadata.creationTimestamp ?? at;
      return {
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: at, lastTransitionTime: at, reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
          { type: 'Complete', status: 'True', lastProbeTime: at, lastTransitionTime: at, reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
        ],
        startTime: start,
        completionTime: at,
        succeeded: num(spec.completions, 1),
        terminating: 0,
        ready: 0,
        uncountedTerminatedPods: {},
      };
    }
    default:
      return isJsonObject(o.status) ? o.status : {};
  }
}

/**
 * Sets the status a real cluster's controllers would converge to. `previous` is the stored object
 * before this write (undefined on create); pod statuses already present (e.g. seeded crash loops) stay.
 */
export function reconcileStatus(type: ResourceType, o: KubeObject, previous: KubeObject | undefined): void {
  switch (`${type.group}/${type.resource}`) {
    case '/pods':
      if (!isJsonObject(o.status) || !o.status.phase) o.status = runningPodStatus(o);
      break;
    case '/namespaces':
      o.status = { phase: o.metadata.deletionTimestamp ? 'Terminating' : 'Active' };
      break;
    case '/persistentvolumeclaims': {
      const spec = isJsonObject(o.spec) ? o.spec : {};
      if (!spec.volumeName) spec.volumeName = `pvc-${o.metadata.uid}`;
      const requests = isJsonObject(spec.resources) && isJsonObject(spec.resources.requests) ? spec.resources.requests : {};
      o.status = { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: requests.storage ?? '1Gi' } };
      break;
    }
    case 'apps/deployments': {
      o.status = workloadStatus(type, o, previous);
      // The revision annotation the deployment controller keeps; it moves when the pod template does.
      const prevRevision = Number(previous?.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '0');
      const templateChanged = !previous || JSON.stringify(isJsonObject(previous.spec) ? previous.spec.template : null) !== JSON.stringify(isJsonObject(o.spec) ? o.spec.template : null);
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': String(templateChanged ? prevRevision + 1 : Math.max(prevRevision, 1)) };
      break;
    }
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
    case 'batch/jobs':
      o.status = workloadStatus(type, o, previous);
      break;
    case 'batch/cronjobs':
      if (!isJsonObject(o.status)) o.status = {};
      break;
    case 'apiextensions.k8s.io/customresourcedefinitions': {
      const spec = isJsonObject(o.spec) ? o.spec : {};
      const at = nowTimestamp();
      const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(isJsonObject);
      const storage = versions.find((v) => v.storage === true) ?? versions[0];
      o.status = {
        acceptedNames: isJsonObject(spec.names) ? spec.names : {},
        conditions: [
          { type: 'NamesAccepted', status: 'True', lastTransitionTime: at, reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', lastTransitionTime: at, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
        storedVersions: storage && typeof storage.name === 'string' ? [storage.name] : [],
      };
      break;
    }
    default:
      break;
  }
  if (type.resource === 'pods' && type.group === '' && isJsonObject(o.spec) && !o.spec.nodeName) o.spec.nodeName = SIMULATED_NODE;
}
