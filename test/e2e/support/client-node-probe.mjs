// Uses @kubernetes/client-node (ESM only, hence a child process) exactly as an agent's code would:
// load a kubeconfig, list pods (in the namespace given after the kubeconfig, default prod), create and
// delete a ConfigMap. Prints one JSON line with what it saw.
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const core = kc.makeApiClient(k8s.CoreV1Api);
const out = {};
try {
  const pods = await core.listNamespacedPod({ namespace: process.argv[3] ?? 'prod' });
  out.pods = pods.items.map((p) => p.metadata.name);
  const name = `client-node-probe-${process.pid}`;
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { from: 'client-node' } } });
  const cm = await core.readNamespacedConfigMap({ name, namespace: 'default' });
  out.configMap = cm.data;
  await core.deleteNamespacedConfigMap({ name, namespace: 'default' });
  out.deleted = true;
} catch (error) {
  out.error = { code: error.code, body: typeof error.body === 'string' ? error.body : error.body ? JSON.stringify(error.body) : String(error.message) };
}
console.log(JSON.stringify(out));
