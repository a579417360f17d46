/**
 * Pods for the Pod Security Standards pack tests: a compliant baseline pod and a compliant restricted pod, the
 * variants that break exactly one control each, and the wrappers that embed a pod in every pod-bearing resource.
 * Self-contained (no imports) so the tables read as data.
 */

/** What a pod and a pod template share. */
export interface PodParts {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}

/** A change to a pod: merged into the spec, the pod securityContext, the first container or a copy of it. */
export interface PodChange {
  spec?: Record<string, unknown>;
  podSecurityContext?: Record<string, unknown>;
  /** Merged into containers[0]. */
  container?: Record<string, unknown>;
  /** Adds an init container: a copy of containers[0] named "init", with this merged in. */
  initContainer?: Record<string, unknown>;
  /** Adds an ephemeral container (as kubectl debug does): a copy of containers[0] named "debugger", with this merged in. */
  ephemeralContainer?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else replaces; `undefined` removes the key. */
export function merge(base: Json, change: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete out[k];
    else out[k] = isObject(v) && isObject(base[k]) ? merge(base[k] as Json, v) : v;
  }
  return out;
}

/**
 * A copy of `base` with `change` applied. Copied through JSON, not structuredClone: under Jest that returns
 * arrays of another realm, which CEL does not take for lists.
 */
export function variant(base: PodParts, change: PodChange): PodParts {
  const pod = JSON.parse(JSON.stringify(base)) as PodParts;
  if (change.spec) pod.spec = merge(pod.spec, change.spec);
  if (change.podSecurityContext) pod.spec.securityContext = merge((pod.spec.securityContext as Json) ?? {}, change.podSecurityContext);
  const containers = pod.spec.containers as Json[];
  const first = containers[0];
  if (change.container) containers[0] = merge(first, change.container);
  if (change.initContainer) pod.spec.initContainers = [merge({ ...first, name: 'init' }, change.initContainer)];
  if (change.ephemeralContainer) {
    const { ports: _ports, ...common } = first; // ephemeral containers may not have ports
    pod.spec.ephemeralContainers = [merge({ ...common, name: 'debugger', image: 'busybox:1.36' }, change.ephemeralContainer)];
  }
  if (change.annotations) pod.metadata = merge(pod.metadata, { annotations: { ...((pod.metadata.annotations as Json) ?? {}), ...change.annotations } });
  return pod;
}

/** What `kubectl run web --image=nginx:1.27 --port=80` creates: passes baseline, not restricted. */
export const BASELINE_POD: PodParts = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
};

/** The smallest pod that passes restricted (and so baseline). */
export const RESTRICTED_POD: PodParts = variant(BASELINE_POD, {
  podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  container: { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
});

const sc = (securityContext: Json): PodChange => ({ container: { securityContext } });

/** [what, rule it breaks, pod]: each pod breaks exactly one baseline control. */
export const BASELINE_VIOLATIONS: [string, string, PodParts][] = [
  // Existing body-flag rules, here to show the CEL rules leave them alone.
  ['privileged container', 'baseline/no-privileged-pods', variant(BASELINE_POD, sc({ privileged: true }))],
  ['hostPath volume', 'baseline/no-host-path', variant(BASELINE_POD, { spec: { volumes: [{ name: 'root', hostPath: { path: '/' } }] } })],
  ['hostNetwork', 'baseline/no-host-namespaces', variant(BASELINE_POD, { spec: { hostNetwork: true } })],
  ['hostPID', 'baseline/no-host-namespaces', variant(BASELINE_POD, { spec: { hostPID: true } })],
  ['hostIPC', 'baseline/no-host-namespaces', variant(BASELINE_POD, { spec: { hostIPC: true } })],

  ['capability NET_ADMIN added', 'baseline/no-added-capabilities', variant(BASELINE_POD, sc({ capabilities: { add: ['NET_ADMIN'] } }))],
  ['capability NET_RAW added next to allowed ones', 'baseline/no-added-capabilities', variant(BASELINE_POD, sc({ capabilities: { add: ['CHOWN', 'NET_RAW'] } }))],
  ['capability SYS_ADMIN added to an init container', 'baseline/no-added-capabilities', variant(BASELINE_POD, { initContainer: { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } } })],
  ['capability SYS_PTRACE added to an ephemeral container', 'baseline/no-added-capabilities', variant(BASELINE_POD, { ephemeralContainer: { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } } })],
  ['capability spelled CAP_CHOWN (not the allow-list name)', 'baseline/no-added-capabilities', variant(BASELINE_POD, sc({ capabilities: { add: ['CAP_CHOWN'] } }))],
  ['capability ALL added', 'baseline/no-added-capabilities', variant(BASELINE_POD, sc({ capabilities: { add: ['ALL'] } }))],

  ['hostPort 80', 'baseline/no-host-ports', variant(BASELINE_POD, { container: { ports: [{ containerPort: 80, hostPort: 80 }] } })],
  ['hostPort on the second port of an init container', 'baseline/no-host-ports', variant(BASELINE_POD, { initContainer: { ports: [{ containerPort: 53 }, { containerPort: 9153, hostPort: 9153 }] } })],

  ['AppArmor Unconfined at pod level', 'baseline/no-unconfined-apparmor', variant(BASELINE_POD, { podSecurityContext: { appArmorProfile: { type: 'Unconfined' } } })],
  ['AppArmor Unconfined on a container', 'baseline/no-unconfined-apparmor', variant(BASELINE_POD, sc({ appArmorProfile: { type: 'Unconfined' } }))],
  ['AppArmor Unconfined on an ephemeral container', 'baseline/no-unconfined-apparmor', variant(BASELINE_POD, { ephemeralContainer: { securityContext: { appArmorProfile: { type: 'Unconfined' } } } })],
  ['AppArmor annotation unconfined', 'baseline/no-unconfined-apparmor', variant(BASELINE_POD, { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } })],
  ['AppArmor annotation with an unknown value', 'baseline/no-unconfined-apparmor', variant(BASELINE_POD, { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'my-profile' } })],

  ['SELinux type spc_t at pod level', 'baseline/no-custom-selinux', variant(BASELINE_POD, { podSecurityContext: { seLinuxOptions: { type: 'spc_t' } } })],
  ['SELinux type unconfined_t on a container', 'baseline/no-custom-selinux', variant(BASELINE_POD, sc({ seLinuxOptions: { type: 'unconfined_t' } }))],
  ['SELinux user set', 'baseline/no-custom-selinux', variant(BASELINE_POD, sc({ seLinuxOptions: { user: 'system_u' } }))],
  ['SELinux role set at pod level', 'baseline/no-custom-selinux', variant(BASELINE_POD, { podSecurityContext: { seLinuxOptions: { type: 'container_t', role: 'system_r' } } })],
  ['SELinux type spc_t on an init container', 'baseline/no-custom-selinux', variant(BASELINE_POD, { initContainer: { securityContext: { seLinuxOptions: { type: 'spc_t' } } } })],

  ['procMount Unmasked', 'baseline/no-unmasked-proc-mount', variant(BASELINE_POD, sc({ procMount: 'Unmasked' }))],
  ['procMount Unmasked with hostUsers: true', 'baseline/no-unmasked-proc-mount', variant(BASELINE_POD, { spec: { hostUsers: true }, ...sc({ procMount: 'Unmasked' }) })],
  ['procMount Unmasked on an ephemeral container', 'baseline/no-unmasked-proc-mount', variant(BASELINE_POD, { ephemeralContainer: { securityContext: { procMount: 'Unmasked' } } })],

  ['seccomp Unconfined at pod level', 'baseline/no-unconfined-seccomp', variant(BASELINE_POD, { podSecurityContext: { seccompProfile: { type: 'Unconfined' } } })],
  ['seccomp Unconfined on a container', 'baseline/no-unconfined-seccomp', variant(BASELINE_POD, sc({ seccompProfile: { type: 'Unconfined' } }))],
  ['seccomp Unconfined on an init container under a RuntimeDefault pod', 'baseline/no-unconfined-seccomp',
    variant(BASELINE_POD, { podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } }, initContainer: { securityContext: { seccompProfile: { type: 'Unconfined' } } } })],

  ['sysctl kernel.msgmax', 'baseline/no-unsafe-sysctls', variant(BASELINE_POD, { podSecurityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } })],
  ['sysctl net.core.somaxconn after a safe one', 'baseline/no-unsafe-sysctls',
    variant(BASELINE_POD, { podSecurityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'net.core.somaxconn', value: '1024' }] } })],
  ['sysctl vm.max_map_count', 'baseline/no-unsafe-sysctls', variant(BASELINE_POD, { podSecurityContext: { sysctls: [{ name: 'vm.max_map_count', value: '262144' }] } })],

  ['Windows hostProcess at pod level', 'baseline/no-windows-host-process',
    variant(BASELINE_POD, { spec: { os: { name: 'windows' } }, podSecurityContext: { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } } })],
  ['Windows hostProcess on a container', 'baseline/no-windows-host-process', variant(BASELINE_POD, sc({ windowsOptions: { hostProcess: true } }))],

  ['livenessProbe httpGet.host', 'baseline/no-probe-host', variant(BASELINE_POD, { container: { livenessProbe: { httpGet: { host: '169.254.169.254', path: '/', port: 80 } } } })],
  ['readinessProbe tcpSocket.host', 'baseline/no-probe-host', variant(BASELINE_POD, { container: { readinessProbe: { tcpSocket: { host: 'kubernetes.default', port: 443 } } } })],
  ['startupProbe httpGet.host on an init container', 'baseline/no-probe-host', variant(BASELINE_POD, { initContainer: { startupProbe: { httpGet: { host: '10.0.0.1', port: 8080 } } } })],
  ['preStop httpGet.host', 'baseline/no-probe-host', variant(BASELINE_POD, { container: { lifecycle: { preStop: { httpGet: { host: '10.0.0.1', port: 8080 } } } } })],
  ['postStart tcpSocket.host', 'baseline/no-probe-host', variant(BASELINE_POD, { container: { lifecycle: { postStart: { tcpSocket: { host: '10.0.0.1', port: 22 } } } } })],

  ['serviceAccountName deployer', 'baseline/no-service-account-tokens', variant(BASELINE_POD, { spec: { serviceAccountName: 'deployer' } })],
  ['deprecated serviceAccount deployer', 'baseline/no-service-account-tokens', variant(BASELINE_POD, { spec: { serviceAccount: 'deployer' } })],
  ['serviceAccountName with automountServiceAccountToken: true', 'baseline/no-service-account-tokens', variant(BASELINE_POD, { spec: { serviceAccountName: 'deployer', automountServiceAccountToken: true } })],
  ['serviceAccountName, automount off but a projected token volume', 'baseline/no-service-account-tokens', variant(BASELINE_POD, {
    spec: {
      serviceAccountName: 'deployer',
      automountServiceAccountToken: false,
      volumes: [{ name: 'token', projected: { sources: [{ configMap: { name: 'ca' } }, { serviceAccountToken: { audience: 'vault', path: 'token' } }] } }],
    },
  })],
];

/** [what, pod]: pods that pass every baseline rule (allowed values, absent fields). */
export const BASELINE_COMPLIANT: [string, PodParts][] = [
  ['kubectl run nginx', BASELINE_POD],
  ['the restricted pod', RESTRICTED_POD],
  ['a pod with no securityContext anywhere', { metadata: {}, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } }],
  ['privileged: false, hostNetwork: false, hostPID: false', variant(BASELINE_POD, { spec: { hostNetwork: false, hostPID: false, hostIPC: false }, ...sc({ privileged: false }) })],
  ['every allowed capability added', variant(BASELINE_POD, sc({
    capabilities: { add: ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'], drop: ['NET_RAW'] },
  }))],
  ['empty capabilities.add', variant(BASELINE_POD, sc({ capabilities: { add: [] } }))],
  ['hostPort: 0', variant(BASELINE_POD, { container: { ports: [{ containerPort: 80, hostPort: 0 }] } })],
  ['AppArmor RuntimeDefault and Localhost fields', variant(BASELINE_POD, {
    podSecurityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
    ...sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } }),
  })],
  ['AppArmor annotations runtime/default, localhost/*, empty', variant(BASELINE_POD, {
    annotations: {
      'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default',
      'container.apparmor.security.beta.kubernetes.io/init': 'localhost/k8s-nginx',
      'container.apparmor.security.beta.kubernetes.io/other': '',
      'example.com/apparmor': 'unconfined',
    },
  })],
  ['every allowed SELinux type, and a level', variant(BASELINE_POD, {
    podSecurityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c123,c456' } },
    ...sc({ seLinuxOptions: { type: 'container_init_t' } }),
    initContainer: { securityContext: { seLinuxOptions: { type: 'container_kvm_t' } } },
    ephemeralContainer: { securityContext: { seLinuxOptions: { type: 'container_engine_t' } } },
  })],
  ['SELinux options with empty type, user and role', variant(BASELINE_POD, sc({ seLinuxOptions: { type: '', user: '', role: '', level: 's0' } }))],
  ['procMount Default', variant(BASELINE_POD, sc({ procMount: 'Default' }))],
  ['procMount Unmasked in a user namespace (hostUsers: false)', variant(BASELINE_POD, { spec: { hostUsers: false }, ...sc({ procMount: 'Unmasked' }) })],
  ['seccomp RuntimeDefault at pod level, Localhost on a container', variant(BASELINE_POD, {
    podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    ...sc({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }),
  })],
  // The annotations do nothing since Kubernetes 1.27; pod-security-admission checks them only below policy version 1.19.
  ['old seccomp annotations saying unconfined', variant(BASELINE_POD, {
    annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined', 'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined' },
  })],
  ['every safe sysctl', variant(BASELINE_POD, {
    podSecurityContext: {
      sysctls: ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
        'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
        'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'].map((name) => ({ name, value: '1' })),
    },
  })],
  ['empty sysctls', variant(BASELINE_POD, { podSecurityContext: { sysctls: [] } })],
  ['Windows pod with hostProcess: false', variant(BASELINE_POD, { spec: { os: { name: 'windows' } }, podSecurityContext: { windowsOptions: { hostProcess: false } }, ...sc({ windowsOptions: { hostProcess: false } }) })],
  ['probes and hooks on the pod\'s own IP, with a Host header', variant(BASELINE_POD, {
    container: {
      livenessProbe: { httpGet: { path: '/healthz', port: 80, httpHeaders: [{ name: 'Host', value: 'web.example.com' }] } },
      readinessProbe: { tcpSocket: { port: 80, host: '' } },
      startupProbe: { exec: { command: ['true'] } },
      lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { httpGet: { path: '/started', port: 80 } } },
    },
  })],
  ['serviceAccountName default', variant(BASELINE_POD, { spec: { serviceAccountName: 'default', serviceAccount: 'default' } })],
  ['serviceAccountName deployer with automountServiceAccountToken: false', variant(BASELINE_POD, {
    spec: { serviceAccountName: 'deployer', automountServiceAccountToken: false, volumes: [{ name: 'config', projected: { sources: [{ configMap: { name: 'app' } }] } }] },
  })],
  ['a projected token for the default service account', variant(BASELINE_POD, {
    spec: { volumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 'token' } }] } }] },
  })],
];

const rsc = sc;

/** [what, rule it breaks, pod]: each pod passes baseline and breaks exactly one restricted control. */
export const RESTRICTED_VIOLATIONS: [string, string, PodParts][] = [
  ['nfs volume', 'restricted/volume-types', variant(RESTRICTED_POD, { spec: { volumes: [{ name: 'share', nfs: { server: 'nfs.example.com', path: '/exports' } }] } })],
  ['awsElasticBlockStore volume after allowed ones', 'restricted/volume-types', variant(RESTRICTED_POD, {
    spec: { volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'data', awsElasticBlockStore: { volumeID: 'vol-0123' } }] },
  })],
  ['gitRepo volume', 'restricted/volume-types', variant(RESTRICTED_POD, { spec: { volumes: [{ name: 'src', gitRepo: { repository: 'https://example.com/r.git' } }] } })],
  ['a volume with no source', 'restricted/volume-types', variant(RESTRICTED_POD, { spec: { volumes: [{ name: 'nothing' }] } })],

  ['allowPrivilegeEscalation unset', 'restricted/no-privilege-escalation', variant(RESTRICTED_POD, rsc({ allowPrivilegeEscalation: undefined }))],
  ['allowPrivilegeEscalation: true', 'restricted/no-privilege-escalation', variant(RESTRICTED_POD, rsc({ allowPrivilegeEscalation: true }))],
  ['allowPrivilegeEscalation unset on an init container', 'restricted/no-privilege-escalation', variant(RESTRICTED_POD, { initContainer: { securityContext: { allowPrivilegeEscalation: undefined } } })],
  ['allowPrivilegeEscalation unset on an ephemeral container', 'restricted/no-privilege-escalation',
    variant(RESTRICTED_POD, { ephemeralContainer: { securityContext: { allowPrivilegeEscalation: undefined } } })],

  ['runAsNonRoot unset everywhere', 'restricted/run-as-non-root', variant(RESTRICTED_POD, { podSecurityContext: { runAsNonRoot: undefined } })],
  ['runAsNonRoot: false at pod level, true on the container', 'restricted/run-as-non-root', variant(RESTRICTED_POD, { podSecurityContext: { runAsNonRoot: false }, ...rsc({ runAsNonRoot: true }) })],
  ['runAsNonRoot: false on a container under a true pod', 'restricted/run-as-non-root', variant(RESTRICTED_POD, rsc({ runAsNonRoot: false }))],
  ['runAsNonRoot on the container but not the init container', 'restricted/run-as-non-root',
    variant(RESTRICTED_POD, { podSecurityContext: { runAsNonRoot: undefined }, ...rsc({ runAsNonRoot: true }), initContainer: { securityContext: { runAsNonRoot: undefined } } })],

  ['runAsUser: 0 at pod level', 'restricted/no-run-as-root', variant(RESTRICTED_POD, { podSecurityContext: { runAsUser: 0 } })],
  ['runAsUser: 0 on an init container', 'restricted/no-run-as-root', variant(RESTRICTED_POD, { initContainer: { securityContext: { runAsUser: 0 } } })],

  ['seccomp unset everywhere', 'restricted/seccomp-required', variant(RESTRICTED_POD, { podSecurityContext: { seccompProfile: undefined } })],
  ['seccomp on the container but not the init container', 'restricted/seccomp-required', variant(RESTRICTED_POD, {
    podSecurityContext: { seccompProfile: undefined },
    ...rsc({ seccompProfile: { type: 'RuntimeDefault' } }),
    initContainer: { securityContext: { seccompProfile: undefined } },
  })],

  ['capabilities.drop missing', 'restricted/drop-all-capabilities', variant(RESTRICTED_POD, rsc({ capabilities: undefined }))],
  ['drop NET_RAW instead of ALL', 'restricted/drop-all-capabilities', variant(RESTRICTED_POD, rsc({ capabilities: { drop: ['NET_RAW'] } }))],
  ['drop ALL but add CHOWN', 'restricted/drop-all-capabilities', variant(RESTRICTED_POD, rsc({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }))],
  ['an ephemeral container without drop ALL', 'restricted/drop-all-capabilities', variant(RESTRICTED_POD, { ephemeralContainer: { securityContext: { capabilities: undefined } } })],

  ['procMount Unmasked in a user namespace', 'restricted/proc-mount-default', variant(RESTRICTED_POD, { spec: { hostUsers: false }, ...rsc({ procMount: 'Unmasked' }) })],
];

/** [what, pod]: pods that pass baseline and restricted. */
export const RESTRICTED_COMPLIANT: [string, PodParts][] = [
  ['the restricted pod', RESTRICTED_POD],
  ['every allowed volume type', variant(RESTRICTED_POD, {
    spec: {
      volumes: [
        { name: 'a', configMap: { name: 'app' } },
        { name: 'b', csi: { driver: 'secrets-store.csi.k8s.io' } },
        { name: 'c', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'd', emptyDir: {} },
        { name: 'e', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
        { name: 'f', image: { reference: 'registry.example.com/models:v1' } },
        { name: 'g', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'h', projected: { sources: [{ configMap: { name: 'ca' } }] } },
        { name: 'i', secret: { secretName: 'tls' } },
      ],
    },
  })],
  ['everything on the containers, nothing at pod level', variant(RESTRICTED_POD, {
    podSecurityContext: { runAsNonRoot: undefined, seccompProfile: undefined },
    ...rsc({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' } }),
  })],
  ['drop ALL and add NET_BIND_SERVICE', variant(RESTRICTED_POD, rsc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }))],
  ['runAsUser 1000 at pod level, runAsGroup 0 (not restricted)', variant(RESTRICTED_POD, { podSecurityContext: { runAsUser: 1000, runAsGroup: 0 } })],
  ['a compliant init and ephemeral container', variant(RESTRICTED_POD, { initContainer: {}, ephemeralContainer: {} })],
  ['a user-namespace pod running as root without runAsNonRoot', variant(RESTRICTED_POD, { spec: { hostUsers: false }, podSecurityContext: { runAsNonRoot: undefined, runAsUser: 0 } })],
  ['a Windows pod (allowPrivilegeEscalation, seccomp and capabilities do not apply)', {
    metadata: {},
    spec: {
      os: { name: 'windows' },
      securityContext: { runAsNonRoot: true, windowsOptions: { runAsUserName: 'ContainerUser' } },
      containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }],
    },
  }],
];

/** A pod-bearing resource, as a request names it. */
export interface WorkloadKind {
  resource: string;
  apiGroup: string;
  /** The object for a create of this kind whose pod (template) is `pod`. */
  wrap(pod: PodParts): Json;
}

const template = (pod: PodParts) => ({ metadata: pod.metadata, spec: pod.spec });
const selector = { matchLabels: { app: 'web' } };

export const WORKLOAD_KINDS: Record<string, WorkloadKind> = {
  Pod: { resource: 'pods', apiGroup: '', wrap: (pod) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', ...pod.metadata }, spec: pod.spec }) },
  Deployment: { resource: 'deployments', apiGroup: 'apps', wrap: (pod) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector, template: template(pod) } }) },
  CronJob: {
    resource: 'cronjobs',
    apiGroup: 'batch',
    wrap: (pod) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'web' }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template(pod) } } } }),
  },
  ReplicaSet: { resource: 'replicasets', apiGroup: 'apps', wrap: (pod) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { selector, template: template(pod) } }) },
  StatefulSet: { resource: 'statefulsets', apiGroup: 'apps', wrap: (pod) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web' }, spec: { serviceName: 'web', selector, template: template(pod) } }) },
  DaemonSet: { resource: 'daemonsets', apiGroup: 'apps', wrap: (pod) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'web' }, spec: { selector, template: template(pod) } }) },
  Job: { resource: 'jobs', apiGroup: 'batch', wrap: (pod) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'web' }, spec: { template: template(pod) } }) },
  ReplicationController: { resource: 'replicationcontrollers', apiGroup: '', wrap: (pod) => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, template: template(pod) } }) },
  PodTemplate: { resource: 'podtemplates', apiGroup: '', wrap: (pod) => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'web' }, template: template(pod) }) },
};
