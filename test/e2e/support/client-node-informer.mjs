// An informer of @kubernetes/client-node, as a controller or an agent's code would run one: list-then-watch
// ConfigMaps in the namespace given after the kubeconfig, print one JSON line per add/update/delete as it sees
// them ({"event":"add","name":...}), and {"event":"ready"} once it has synced. Stops on SIGTERM.
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const namespace = process.argv[3];
const core = kc.makeApiClient(k8s.CoreV1Api);
const path = `/api/v1/namespaces/${namespace}/configmaps`;
const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace }));
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
informer.on('add', (o) => say({ event: 'add', name: o.metadata.name, data: o.data }));
informer.on('update', (o) => say({ event: 'update', name: o.metadata.name, data: o.data }));
informer.on('delete', (o) => say({ event: 'delete', name: o.metadata.name }));
informer.on('error', (error) => say({ event: 'error', message: String(error?.message ?? error) }));
await informer.start();
say({ event: 'ready' });
process.on('SIGTERM', async () => { await informer.stop(); process.exit(0); });
