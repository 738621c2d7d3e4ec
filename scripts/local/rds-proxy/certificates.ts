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

/**
 * Each CA has a name of its own (its key's fingerprint): a process that has
 * trusted an earlier emulator's CA must not pick that one as the issuer.
 */
function caName(key: forge.pki.rsa.PrivateKey): string {
  const fingerprint = forge.pki.getPublicKeyFingerprint(forge.pki.setRsaPublicKey(key.n, key.e), { encoding: 'hex' }) as string;
  return `Local RDS Proxy emulator CA ${fingerprint.slice(0, 16)}`;
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

export interface CertificateAuthority {
  /** `<dir>/ca.pem`: what clients trust (NODE_EXTRA_CA_CERTS). */
  readonly certFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Makes a CA and writes it to `<dir>/ca.pem` and `<dir>/ca-key.pem` (mode 600). */
export async function makeCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  const key = await rsaKey();
  const name = caName(key);
  const ca = certificate(name, key, { name, key }, [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  await fs.mkdir(dir, { recursive: true });
  const certPem = forge.pki.certificateToPem(ca);
  const keyPem = forge.pki.privateKeyToPem(key);
  await fs.writeFile(path.join(dir, 'ca-key.pem'), keyPem, { mode: 0o600 });
  const certFile = path.join(dir, 'ca.pem');
  await fs.writeFile(certFile, certPem, { mode: 0o644 });
  return { certFile, certPem, keyPem };
}

/**
 * The emulator's certificates: a CA made now in `dir`, and a server
 * certificate it signs for `host` (and 127.0.0.1, localhost).
 */
export async function makeProxyCertificates(dir: string, host = '127.0.0.1'): Promise<ProxyCertificates> {
  const [authority, serverKey] = await Promise.all([makeCertificateAuthority(dir), rsaKey()]);
  const caKey = forge.pki.privateKeyFromPem(authority.keyPem) as forge.pki.rsa.PrivateKey;
  const CA_NAME = caName(caKey);
  const altNames = [
    { type: 7, ip: '127.0.0.1' },
    { type: 2, value: 'localhost' },
    ...(host !== '127.0.0.1' && host !== 'localhost' ? [/^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host }] : []),
  ];
  const server = certificate(host, serverKey, { name: CA_NAME, key: caKey }, [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'authorityKeyIdentifier', keyIdentifier: forge.pki.getPublicKeyFingerprint(forge.pki.setRsaPublicKey(caKey.n, caKey.e), { encoding: 'binary' }) },
  ]);
  return { caPem: authority.certPem, caFile: authority.certFile, cert: forge.pki.certificateToPem(server), key: forge.pki.privateKeyToPem(serverKey) };
}
