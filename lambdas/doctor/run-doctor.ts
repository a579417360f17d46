import { createHash, randomUUID } from 'node:crypto';
import type { AgentIdentity } from '../core/agent-identity';
import { clusterTokenCheck, impersonationCheck, SELF_SUBJECT_REVIEW, assumeRoleCheck } from '../core/doctor/connection-checks';
import { doctorReport, skipped, type DoctorCheck, type DoctorReport } from '../core/doctor/doctor-check';
import type { SecretDescriber, StateMachineDescriber } from '../core/doctor/doctor-ports';
import { slackSecretCheck, stateMachineCheck, storeCheck, type SlackSecretUnderCheck } from '../core/doctor/store-checks';
import { mintEksToken } from '../core/eks-token';
import type { AwsConnectionConfig, ConnectionConfig } from '../core/gateway-config';
import { doctorUserFor } from '../core/impersonation-rbac';
import { encodeReplayBatchLine } from '../core/replay-batch';
import type { GrantStore, ReplayBatchSink, ReplayStore, RoleAssumer, StreamLeases, UpstreamClient } from '../core/ports';
import { roleSessionFor } from '../core/role-session';
import { buildUpstreamHeaders, type Impersonation } from '../core/upstream-headers';
import { probe } from './probe';

/** What the doctor needs: the proxy's own adapters, built from the proxy's environment and role. */
export interface DoctorDependencies {
  readonly connections: readonly ConnectionConfig[];
  /** AWS connections: their roles are assumed as for calls. */
  readonly awsConnections?: readonly AwsConnectionConfig[];
  /** Reads the AWS credential key as the proxy does (present with AWS connections), and where it is. */
  readonly awsCredentialKey?: { readonly read: () => Promise<unknown>; readonly where: string };
  /** A role assumer without cached sessions, so a trust policy fixed a minute ago is seen at once. */
  readonly newRoleAssumer: () => RoleAssumer;
  readonly upstream: UpstreamClient;
  readonly grants: { readonly store: GrantStore; readonly table: string };
  readonly records: { readonly leases: StreamLeases; readonly table: string };
  readonly replay: { readonly store: ReplayStore; readonly bucket: string };
  /** The replay delivery stream, when the stack has one (GATEHOUSE_REPLAY_STREAM). */
  readonly replayBatches?: { readonly sink: ReplayBatchSink; readonly stream: string };
  /** Present when approvals are configured. */
  readonly approvals?: {
    readonly store: { get(approvalId: string): Promise<unknown> };
    readonly table: string;
    readonly stateMachineArn: string;
    readonly stateMachines: StateMachineDescriber;
    readonly secrets: SecretDescriber;
    readonly slackSecrets: readonly SlackSecretUnderCheck[];
  };
  readonly upstreamTimeoutMs: number;
  readonly now: () => Date;
}

/** Who the doctor is to STS and the cluster: an issuer name no configured issuer can have (`[a-z0-9-]` only). */
const DOCTOR_ISSUER = '_gatehouse';
/** Where the replay probe writes: under the replay prefix the proxy may write, one fixed key, overwritten each run. */
export const DOCTOR_REPLAY_KEY = 'replay/doctor/probe.json';
/** The session tag (`p`) of the doctor's probe line, which lands in the hour's batch with every session's lines. */
export const DOCTOR_REPLAY_PARTITION = 'doctor';
const MAX_REVIEW_BYTES = 1024 * 1024;

/**
 * Runs every check: per connection (or only `only`), the role, the cluster's answer to a SelfSubjectReview with the
 * minted EKS token, and impersonation when configured; then the stores and, with approvals, the state machine and
 * the Slack secrets. Everything is done as the proxy does it, with the proxy's role, and nothing an agent could
 * reach: no grant, no policy, no record of an agent.
 */
export async function runDoctor(deps: DoctorDependencies, options: { readonly only?: string; readonly calledBy?: string } = {}): Promise<DoctorReport> {
  const connections = options.only ? deps.connections.filter((c) => c.name === options.only) : deps.connections;
  const awsConnections = (deps.awsConnections ?? []).filter((c) => !options.only || c.name === options.only);
  const [connectionChecks, awsChecks, storeChecks] = await Promise.all([
    Promise.all(connections.map((c) => checkConnection(c, deps))),
    Promise.all(awsConnections.map((c) => checkAwsConnection(c, deps))),
    checkStores(connections, deps),
  ]);
  return doctorReport([...connectionChecks.flat(), ...awsChecks, ...storeChecks], options.calledBy);
}

/** An AWS connection's role, assumed exactly as for an agent's call (session name, source identity, tags). */
async function checkAwsConnection(connection: AwsConnectionConfig, deps: DoctorDependencies): Promise<DoctorCheck> {
  const identity: AgentIdentity = { issuer: DOCTOR_ISSUER, agent: 'doctor', session: `doctor-${randomUUID()}`, groups: [], claims: {} };
  const session = roleSessionFor(identity, connection);
  const assumed = await probe(() => deps.newRoleAssumer().credentialsFor(session));
  return assumeRoleCheck({ ...connection, kind: 'aws' }, session, assumed);
}

async function checkConnection(connection: ConnectionConfig, deps: DoctorDependencies): Promise<DoctorCheck[]> {
  const identity: AgentIdentity = { issuer: DOCTOR_ISSUER, agent: 'doctor', session: `doctor-${randomUUID()}`, groups: [], claims: {} };
  const session = roleSessionFor(identity, connection);
  const roles = deps.newRoleAssumer();
  const assumed = await probe(() => roles.credentialsFor(session));
  const roleCheck = assumeRoleCheck(connection, session, assumed);
  const tokenName = `connection ${connection.name}: cluster accepts the EKS token`;
  const impersonationName = `connection ${connection.name}: impersonation`;
  if (!assumed.ok) {
    return [roleCheck, skipped(tokenName, 'assume role'), ...(connection.impersonation?.enabled ? [skipped(impersonationName, 'assume role')] : [])];
  }
  const review = (impersonate?: Impersonation) => probe(() => {
    const token = mintEksToken({ credentials: assumed.value, clusterName: connection.clusterName, region: connection.region, now: deps.now() }).token;
    const body = Buffer.from(SELF_SUBJECT_REVIEW.body);
    const headers = buildUpstreamHeaders({ accept: ['application/json'], 'content-type': ['application/json'], 'user-agent': ['gatehouse-doctor'] }, {
      bearerToken: token, impersonate, forceJsonAccept: true, contentLength: body.length, auditId: identity.session,
    });
    return deps.upstream.send(connection, { method: SELF_SUBJECT_REVIEW.method, pathAndQuery: SELF_SUBJECT_REVIEW.path, headers, body }, {
      timeoutMs: deps.upstreamTimeoutMs, maxResponseBytes: MAX_REVIEW_BYTES,
    });
  });
  const plain = clusterTokenCheck(connection, await review());
  if (!connection.impersonation?.enabled) return [roleCheck, plain];
  if (!plain.ok) return [roleCheck, plain, skipped(impersonationName, 'cluster accepts the EKS token')];
  const user = doctorUserFor(connection);
  return [roleCheck, plain, impersonationCheck(connection, user, await review({ user, groups: [] }))];
}

async function checkStores(connections: readonly ConnectionConfig[], deps: DoctorDependencies): Promise<DoctorCheck[]> {
  const now = deps.now();
  const grants = probe(async () => Promise.all(connections.map(async (c) => `${c.name} ${(await deps.grants.store.grantsFor(c.name)).length}`)));
  const records = probe(async () => {
    // A stream lease, taken and given back at once: the records-table items the proxy reads and writes itself.
    const leaseId = `doctor-${randomUUID()}`;
    await deps.records.leases.acquire('doctor', leaseId, new Date(now.getTime() + 60_000), 1_000);
    await deps.records.leases.release('doctor', leaseId);
  });
  const replay = probe(async () => {
    const bytes = Buffer.from(JSON.stringify({ doctor: true, at: now.toISOString() }));
    await deps.replay.store.put(DOCTOR_REPLAY_KEY, bytes, createHash('sha256').update(bytes).digest('hex'));
  });
  // A probe line with a session tag of its own (no session hashes to `doctor`: tags are 16 hex characters).
  const batches = deps.replayBatches;
  const batch = batches ? probe(async () => {
    const bytes = Buffer.from(JSON.stringify({ doctor: true, at: now.toISOString() }));
    await batches.sink.send(encodeReplayBatchLine(DOCTOR_REPLAY_PARTITION, { key: DOCTOR_REPLAY_KEY, sha256: createHash('sha256').update(bytes).digest('hex'), bytes })!);
  }) : undefined;
  const approvals = deps.approvals;
  const awsKey = deps.awsCredentialKey;
  const key = awsKey ? probe(() => awsKey.read()) : undefined;
  const [grantsOutcome, recordsOutcome, replayOutcome, batchOutcome, keyOutcome] = await Promise.all([grants, records, replay, batch, key]);
  const checks = [
    storeCheck({ kind: 'grants table', resource: deps.grants.table, operation: `Query of each connection's grants${grantsOutcome.ok ? ` (${grantsOutcome.value.join(', ')})` : ''}` }, grantsOutcome),
    storeCheck({ kind: 'records table', resource: deps.records.table, operation: 'a stream lease taken and given back' }, recordsOutcome),
    storeCheck({ kind: 'replay bucket', resource: deps.replay.bucket, operation: `PutObject ${DOCTOR_REPLAY_KEY}` }, replayOutcome),
    ...(batches && batchOutcome ? [storeCheck({ kind: 'replay delivery stream', resource: batches.stream, operation: `PutRecord of a probe line (partition ${DOCTOR_REPLAY_PARTITION})` }, batchOutcome)] : []),
    ...(awsKey && keyOutcome ? [storeCheck({ kind: 'AWS credential key', resource: awsKey.where, operation: 'GetSecretValue, as the proxy reads it' }, keyOutcome)] : []),
  ];
  if (!approvals) return checks;
  const [approvalGet, machine, secrets] = await Promise.all([
    probe(() => approvals.store.get('apr-doctor000000')),
    probe(() => approvals.stateMachines.describe(approvals.stateMachineArn)),
    Promise.all(approvals.slackSecrets.map((s) => probe(() => approvals.secrets.describe(s.secretArn)))),
  ]);
  return [
    ...checks,
    storeCheck({ kind: 'approvals table', resource: approvals.table, operation: 'GetItem of an approval' }, approvalGet),
    stateMachineCheck(approvals.stateMachineArn, machine),
    ...approvals.slackSecrets.map((s, i) => slackSecretCheck(s, secrets[i]!)),
  ];
}
