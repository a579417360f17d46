/**
 * The Kubernetes API server simulator: local mode's default upstream and the end-to-end tests' cluster.
 * Only the public contract is exported; everything else in this folder is an implementation detail.
 */
/** Starts the simulator; see {@link KubeApiSimulatorOptions}. */
export { startKubeApiSimulator } from './kube-api-simulator';
/** The public contract types. */
export type { KubeApiSimulator, KubeApiSimulatorOptions, KubeUser, SimulatorRequestRecord } from './types';
