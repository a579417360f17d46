/**
 * Protobuf field numbers of the built-in types kubectl 1.35 sends as protobuf bodies: its typed
 * clients (`kubectl create configmap|secret|namespace|serviceaccount|service|deployment|job|cronjob|
 * role|rolebinding|clusterrole|clusterrolebinding`, `kubectl auth whoami|can-i`) write `application/vnd.kubernetes.protobuf`. The
 * numbers come from k8s.io/api `generated.proto` (they never change once published); only the fields
 * those commands produce are listed, and the decoder refuses any other non-zero field rather than
 * silently dropping data.
 */

/** How one field's value is turned into JSON. */
export type FieldKind =
  | 'string'
  | 'int'
  | 'bool'
  | 'message'
  | 'mapString'
  | 'mapBytes'
  | 'mapQuantity'
  | 'time'
  | 'intOrString'
  | 'fieldsV1'
  /** Read and thrown away (status of a create: the server resets it anyway). */
  | 'skip';

/** One field of a message. */
export interface FieldSpec {
  readonly json: string;
  readonly kind: FieldKind;
  readonly repeated?: boolean;
  readonly message?: string;
  /** A Go pointer field: present only when set, so a zero value is meaningful and kept. */
  readonly ptr?: boolean;
}

type Schema = Readonly<Record<number, FieldSpec>>;

const s = (json: string): FieldSpec => ({ json, kind: 'string' });
const ss = (json: string): FieldSpec => ({ json, kind: 'string', repeated: true });
const i = (json: string, ptr = false): FieldSpec => ({ json, kind: 'int', ptr });
const b = (json: string, ptr = false): FieldSpec => ({ json, kind: 'bool', ptr });
const m = (json: string, message: string, repeated = false): FieldSpec => ({ json, kind: 'message', message, repeated });
const map = (json: string): FieldSpec => ({ json, kind: 'mapString' });
const META = m('metadata', 'ObjectMeta');
const STATUS: FieldSpec = { json: 'status', kind: 'skip' };

/** Message schemas by name. */
export const MESSAGES: Readonly<Record<string, Schema>> = {
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'),
    7: i('generation'), 8: { json: 'creationTimestamp', kind: 'time' }, 9: { json: 'deletionTimestamp', kind: 'time' },
    10: i('deletionGracePeriodSeconds', true), 11: map('labels'), 12: map('annotations'),
    13: m('ownerReferences', 'OwnerReference', true), 14: ss('finalizers'), 17: m('managedFields', 'ManagedFieldsEntry', true),
  },
  OwnerReference: { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: b('controller', true), 7: b('blockOwnerDeletion', true) },
  ManagedFieldsEntry: {
    1: s('manager'), 2: s('operation'), 3: s('apiVersion'), 4: { json: 'time', kind: 'time' }, 6: s('fieldsType'),
    7: { json: 'fieldsV1', kind: 'fieldsV1' }, 8: s('subresource'),
  },
  LabelSelector: { 1: map('matchLabels'), 2: m('matchExpressions', 'LabelSelectorRequirement', true) },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: ss('values') },
  ConfigMap: { 1: META, 2: map('data'), 3: { json: 'binaryData', kind: 'mapBytes' }, 4: b('immutable', true) },
  Secret: { 1: META, 2: { json: 'data', kind: 'mapBytes' }, 3: s('type'), 4: map('stringData'), 5: b('immutable', true) },
  Namespace: { 1: META, 2: m('spec', 'NamespaceSpec'), 3: STATUS },
  NamespaceSpec: { 1: ss('finalizers') },
  ServiceAccount: { 1: META, 2: m('secrets', 'ObjectReference', true), 3: m('imagePullSecrets', 'LocalObjectReference', true), 4: b('automountServiceAccountToken', true) },
  ObjectReference: { 1: s('kind'), 2: s('namespace'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: s('resourceVersion'), 7: s('fieldPath') },
  LocalObjectReference: { 1: s('name') },
  Service: { 1: META, 2: m('spec', 'ServiceSpec'), 3: STATUS },
  ServiceSpec: {
    1: m('ports', 'ServicePort', true), 2: map('selector'), 3: s('clusterIP'), 4: s('type'), 5: ss('externalIPs'), 7: s('sessionAffinity'),
    8: s('loadBalancerIP'), 9: ss('loadBalancerSourceRanges'), 10: s('externalName'), 11: s('externalTrafficPolicy'),
    12: i('healthCheckNodePort'), 13: b('publishNotReadyAddresses'), 17: s('ipFamilyPolicy'), 18: ss('clusterIPs'), 19: ss('ipFamilies'),
    20: b('allocateLoadBalancerNodePorts', true), 21: s('loadBalancerClass'), 22: s('internalTrafficPolicy'),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 3: i('port'), 4: { json: 'targetPort', kind: 'intOrString' }, 5: i('nodePort'), 6: s('appProtocol') },
  Deployment: { 1: META, 2: m('spec', 'DeploymentSpec'), 3: STATUS },
  DeploymentSpec: {
    1: i('replicas', true), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec'), 4: m('strategy', 'DeploymentStrategy'),
    5: i('minReadySeconds'), 6: i('revisionHistoryLimit', true), 7: b('paused'), 9: i('progressDeadlineSeconds', true),
  },
  DeploymentStrategy: { 1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: { json: 'maxUnavailable', kind: 'intOrString' }, 2: { json: 'maxSurge', kind: 'intOrString' } },
  PodTemplateSpec: { 1: META, 2: m('spec', 'PodSpec') },
  PodSpec: {
    2: m('containers', 'Container', true), 3: s('restartPolicy'), 4: i('terminationGracePeriodSeconds', true), 5: i('activeDeadlineSeconds', true),
    6: s('dnsPolicy'), 7: map('nodeSelector'), 8: s('serviceAccountName'), 9: s('serviceAccount'), 10: s('nodeName'), 11: b('hostNetwork'),
    19: s('schedulerName'), 20: m('initContainers', 'Container', true), 21: b('automountServiceAccountToken', true), 24: s('priorityClassName'),
    30: b('enableServiceLinks', true),
  },
  Container: {
    1: s('name'), 2: s('image'), 3: ss('command'), 4: ss('args'), 5: s('workingDir'), 6: m('ports', 'ContainerPort', true), 7: m('env', 'EnvVar', true),
    8: m('resources', 'ResourceRequirements'), 13: s('terminationMessagePath'), 14: s('imagePullPolicy'), 16: b('stdin'), 17: b('stdinOnce'), 18: b('tty'),
    20: s('terminationMessagePolicy'),
  },
  ContainerPort: { 1: s('name'), 2: i('hostPort'), 3: i('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: { 1: { json: 'limits', kind: 'mapQuantity' }, 2: { json: 'requests', kind: 'mapQuantity' } },
  Job: { 1: META, 2: m('spec', 'JobSpec'), 3: STATUS },
  JobSpec: {
    1: i('parallelism', true), 2: i('completions', true), 3: i('activeDeadlineSeconds', true), 4: m('selector', 'LabelSelector'), 5: b('manualSelector', true),
    6: m('template', 'PodTemplateSpec'), 7: i('backoffLimit', true), 8: i('ttlSecondsAfterFinished', true), 9: { json: 'completionMode', kind: 'string', ptr: true },
    10: b('suspend', true),
  },
  CronJob: { 1: META, 2: m('spec', 'CronJobSpec'), 3: STATUS },
  CronJobSpec: {
    1: s('schedule'), 2: i('startingDeadlineSeconds', true), 3: s('concurrencyPolicy'), 4: b('suspend', true), 5: m('jobTemplate', 'JobTemplateSpec'),
    6: i('successfulJobsHistoryLimit', true), 7: i('failedJobsHistoryLimit', true), 8: { json: 'timeZone', kind: 'string', ptr: true },
  },
  JobTemplateSpec: { 1: META, 2: m('spec', 'JobSpec') },
  Role: { 1: META, 2: m('rules', 'PolicyRule', true) },
  ClusterRole: { 1: META, 2: m('rules', 'PolicyRule', true), 3: m('aggregationRule', 'AggregationRule') },
  AggregationRule: { 1: m('clusterRoleSelectors', 'LabelSelector', true) },
  PolicyRule: { 1: ss('verbs'), 2: ss('apiGroups'), 3: ss('resources'), 4: ss('resourceNames'), 5: ss('nonResourceURLs') },
  RoleBinding: { 1: META, 2: m('subjects', 'Subject', true), 3: m('roleRef', 'RoleRef') },
  ClusterRoleBinding: { 1: META, 2: m('subjects', 'Subject', true), 3: m('roleRef', 'RoleRef') },
  Subject: { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') },
  RoleRef: { 1: s('apiGroup'), 2: s('kind'), 3: s('name') },
  SelfSubjectReview: { 1: META, 2: STATUS },
  SelfSubjectAccessReview: { 1: META, 2: m('spec', 'SelfSubjectAccessReviewSpec'), 3: STATUS },
  SelfSubjectAccessReviewSpec: { 1: m('resourceAttributes', 'ResourceAttributes'), 2: m('nonResourceAttributes', 'NonResourceAttributes') },
  ResourceAttributes: { 1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name') },
  NonResourceAttributes: { 1: s('path'), 2: s('verb') },
};

/** Top-level kinds the decoder accepts, by `apiVersion/kind`. */
export const DECODABLE_KINDS: ReadonlySet<string> = new Set([
  'v1/ConfigMap', 'v1/Secret', 'v1/Namespace', 'v1/ServiceAccount', 'v1/Service',
  'apps/v1/Deployment', 'batch/v1/Job', 'batch/v1/CronJob',
  'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'authentication.k8s.io/v1/SelfSubjectReview', 'authorization.k8s.io/v1/SelfSubjectAccessReview',
]);
