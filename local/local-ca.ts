import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate and its private key. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Creates a throwaway certificate authority for local mode. kubectl only sends bearer tokens over
 * https, so everything local speaks real TLS, and every client verifies against this CA instead of
 * skipping verification. Keys come from node:crypto (fast, native); node-forge only writes the X.509.
 */
export function createLocalCa(commonName = 'Gatehouse local CA'): PemPair {
  const { cert, keyPem } = newCertificate();
  const attrs = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Gatehouse local mode' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Issues a server certificate for the given DNS names and IP addresses, signed by `ca`. */
export function issueServerCertificate(ca: PemPair, hosts: readonly string[] = ['localhost', '127.0.0.1']): PemPair {
  const { cert, keyPem } = newCertificate();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

function newCertificate(): { cert: forge.pki.Certificate; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // Serial numbers must be positive: clear the top bit.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  return { cert, keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}
