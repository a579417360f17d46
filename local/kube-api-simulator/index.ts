/**
 * The Kubernetes API server simulator: local mode's default upstream and the end-to-end tests' cluster.
 * Only the public contract is exported; everything else in this folder is an implementation detail.
 */
/** Starts the simulator; see {@link KubeApiSimulatorOptions}. */
export { startKubeApiSimulator } from './kube-api-simulator';
/** Reads opt-in RBAC denials from a directory of JSON files on every request (local mode's switch). */
export { denialsFromDirectory } from './rbac-denials';
/** The public contract types. */
export type { KubeApiSimulator, KubeApiSimulatorOptions, KubeUser, SimulatorRequestRecord } from './types';
export type { RbacDenial, RbacDenialSource } from './rbac-denials';
