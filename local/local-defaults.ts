/** The embedded defaults of local mode: fixed ports so a written kubeconfig keeps working across restarts. */
export const LOCAL_DEFAULTS = {
  host: '127.0.0.1',
  gatewayPort: 8443,
  issuerPort: 8444,
  /** The session front (exec, attach, cp, port-forward and everything else, lambdas/session-front/). */
  sessionFrontPort: 8445,
  region: 'us-east-1',
  accountId: '111122223333',
  connection: 'demo',
  clusterName: 'gatehouse-demo',
  roleArn: 'arn:aws:iam::111122223333:role/gatehouse-demo-connection',
  /** The Kubernetes user the demo connection's role maps to, like an EKS access entry's username. */
  connectionUser: 'gatehouse-connection:demo',
  demoAgent: 'demo-agent',
  audience: 'gatehouse',
  bucket: 'gatehouse-replay',
  /** The replay delivery stream (its stand-in, local/firehose-stand-in.ts). */
  replayDeliveryStream: 'gatehouse-replay-batches',
  /** The stand-in writes a batch this soon; the deployed stream buffers 60 s (REPLAY_BATCH_BUFFER_SECONDS). */
  replayBatchBufferSeconds: 1,
  /** Long-term credentials the local "Lambda execution role" has; only the STS stand-in accepts them. */
  callerCredentials: { accessKeyId: 'AKIALOCALGATEHOUSE01', secretAccessKey: 'local-mode-only-secret-key-not-for-aws-0001' },
} as const;
