import { request } from 'node:https';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { createFrontCertificates, type FrontCertificates } from './front-certificates';

/** Properties of the `Custom::GatehouseSessionFrontCertificate` resource (lib/session-front-certificate.ts). */
export interface SessionFrontCertificateProperties {
  /** The secret that receives `{"certPem": ..., "keyPem": ...}`. */
  readonly SecretArn: string;
  /** The DNS name the server certificate is for. */
  readonly DnsName: string;
  /** Days the certificates are valid (a string: CloudFormation passes every property as one). */
  readonly ValidityDays?: string;
  /** Free text; changing it issues a new CA and certificate. */
  readonly Generation?: string;
}

/** Attributes the resource returns (`Fn::GetAtt`). */
export interface SessionFrontCertificateAttributes {
  /** The CA's PEM, what clients must trust. */
  readonly CaPem: string;
  /** SHA-256 of the server certificate: changes with every issue, so the service's tasks can be rolled. */
  readonly Fingerprint: string;
}

/** What the handler needs besides the event (tests pass their own). */
export interface CertificateHandlerDependencies {
  /** Stores the secret's new value. */
  readonly putSecret: (secretArn: string, value: string) => Promise<void>;
  /** Makes the certificates. @default createFrontCertificates */
  readonly issue?: (dnsName: string, validityDays: number | undefined) => FrontCertificates;
}

/**
 * Handles one custom resource event and returns the response CloudFormation expects (without sending it).
 * Create and Update issue a new CA and certificate and store them; Delete does nothing (CloudFormation deletes
 * the secret itself). The physical id stays the same across updates, so an update never triggers a delete.
 */
export async function handleCertificateEvent(event: CloudFormationCustomResourceEvent, deps: CertificateHandlerDependencies): Promise<CloudFormationCustomResourceResponse> {
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: event.RequestType === 'Create' ? `${event.LogicalResourceId}-session-front-tls` : event.PhysicalResourceId,
  };
  if (event.RequestType === 'Delete') return { ...base, Status: 'SUCCESS' };
  try {
    const props = event.ResourceProperties as unknown as SessionFrontCertificateProperties;
    if (!props.SecretArn || !props.DnsName) throw new Error('SecretArn and DnsName are required');
    const validityDays = props.ValidityDays === undefined ? undefined : Number(props.ValidityDays);
    const issued = (deps.issue ?? ((dnsName, days) => createFrontCertificates({ dnsName, validityDays: days })))(props.DnsName, validityDays);
    await deps.putSecret(props.SecretArn, JSON.stringify({ certPem: issued.certPem, keyPem: issued.keyPem }));
    const data: SessionFrontCertificateAttributes = { CaPem: issued.caPem, Fingerprint: issued.fingerprint };
    // Both attributes are public (a CA certificate and a hash): the CA is published as a stack output anyway.
    return { ...base, Status: 'SUCCESS', Data: data };
  } catch (error) {
    return { ...base, Status: 'FAILED', Reason: `Session front certificate: ${(error as Error).message}`.slice(0, 1000) };
  }
}

let client: SecretsManagerClient | undefined;

/** The Lambda entry point: a CloudFormation custom resource provider that answers on the presigned ResponseURL. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const response = await handleCertificateEvent(event, {
    putSecret: async (secretArn, value) => {
      client ??= new SecretsManagerClient({ requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 }, maxAttempts: 3 });
      await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
    },
  });
  // Never the key: only the outcome and the public attributes' fingerprint.
  console.log(JSON.stringify({ requestType: event.RequestType, status: response.Status, reason: response.Reason, fingerprint: response.Data?.Fingerprint }));
  await sendResponse(event.ResponseURL, response);
}

/** PUTs the response to CloudFormation's presigned S3 URL (no content type: it is part of the signature). */
export function sendResponse(url: string, response: CloudFormationCustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`CloudFormation answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('CloudFormation response timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
