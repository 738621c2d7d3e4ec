/**
 * The local RDS Proxy's TLS identity: a CA made at start-up and a server
 * certificate it signs for the emulator's host (127.0.0.1 and localhost).
 *
 * In AWS the proxy presents an ACM certificate that chains to Amazon Root CA 1,
 * which Node's default trust store holds, so functions verify it with
 * `rejectUnauthorized: true` and nothing else. Locally the functions trust this
 * CA through `NODE_EXTRA_CA_CERTS` (a standard Node mechanism, set in their
 * environment by the local runtime): the adapter's TLS code is the same.
 * Keys come from Node's crypto; node-forge only assembles and signs the X.509.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPair = promisify(generateKeyPairCb);

export interface ProxyCertificates {
  /** PEM of the CA a client must trust (the file behind NODE_EXTRA_CA_CERTS). */
  readonly caPem: string;
  /** Where `caPem` is written. */
  readonly caFile: string;
  /** The server's certificate and private key (PEM). */
  readonly cert: string;
  readonly key: string;
}

async function rsaKey(): Promise<forge.pki.rsa.PrivateKey> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  return forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
}

function certificate(
  subject: string,
  key: forge.pki.rsa.PrivateKey,
  issuer: { name: string; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive serial (leading bit clear), as RFC 5280 asks.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: subject }, { name: 'organizationName', value: 'serverless-platform-stack (local)' }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.name }, { name: 'organizationName', value: 'serverless-platform-stack (local)' }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

/** Makes a fresh CA and a server certificate for `host`; writes the CA to `<dir>/ca.pem`. */
export async function makeProxyCertificates(dir: string, host = '127.0.0.1'): Promise<ProxyCertificates> {
  const [caKey, serverKey] = await Promise.all([rsaKey(), rsaKey()]);
  const caName = 'Local RDS Proxy emulator CA';
  const ca = certificate(caName, caKey, { name: caName, key: caKey }, [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const altNames = [
    { type: 7, ip: '127.0.0.1' },
    { type: 2, value: 'localhost' },
    ...(host !== '127.0.0.1' && host !== 'localhost' ? [/^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host }] : []),
  ];
  const server = certificate(host, serverKey, { name: caName, key: caKey }, [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  const caPem = forge.pki.certificateToPem(ca);
  await fs.mkdir(dir, { recursive: true });
  const caFile = path.join(dir, 'ca.pem');
  await fs.writeFile(caFile, caPem, { mode: 0o644 });
  return { caPem, caFile, cert: forge.pki.certificateToPem(server), key: forge.pki.privateKeyToPem(serverKey) };
}
