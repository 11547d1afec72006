import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './infra';

/** A certificate and its key, as files and as PEM. */
export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint as Node reports it (AB:CD:...). */
  fingerprint256: string;
}

/**
 * A throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1 / localhost, client
 * certificates (CN = each name given) from that CA, and a second, unrelated CA with a client
 * certificate of its own (the "wrong CA"). Made with the openssl CLI under tmp/pki/<name>, anew on
 * every call; EC P-256 keys, valid two days.
 */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  server: TestCertificate;
  clients: Record<string, TestCertificate>;
  otherCaFile: string;
  /** A client certificate (CN = the first client name) signed by the other CA. */
  foreignClient: TestCertificate;
}

export function makeTestPki(name: string, clientNames: string[] = ['lis-a']): TestPki {
  const dir = join(WORKSPACE_ROOT, 'tmp', 'pki', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (file: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file);

  const makeCa = (base: string, cn: string) => {
    key(`${base}.key`);
    openssl('req', '-x509', '-new', '-key', `${base}.key`, '-out', `${base}.pem`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const issue = (base: string, cn: string, ca: string, extensions: string): TestCertificate => {
    key(`${base}.key`);
    openssl('req', '-new', '-key', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${base}.ext`), `${extensions}\n`);
    openssl('x509', '-req', '-in', `${base}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`);
    const cert = readFileSync(join(dir, `${base}.pem`));
    return { certFile: join(dir, `${base}.pem`), keyFile: join(dir, `${base}.key`), cert, key: readFileSync(join(dir, `${base}.key`)), fingerprint256: new X509Certificate(cert).fingerprint256 };
  };

  makeCa('ca', `slidecharge test CA ${name}`);
  makeCa('other-ca', `unrelated test CA ${name}`);
  const server = issue('server', 'localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  const clients = Object.fromEntries(clientNames.map((cn) => [cn, issue(`client-${cn}`, cn, 'ca', 'extendedKeyUsage=clientAuth')]));
  const foreignClient = issue('foreign-client', clientNames[0] ?? 'lis-a', 'other-ca', 'extendedKeyUsage=clientAuth');
  return { dir, caFile: join(dir, 'ca.pem'), ca: readFileSync(join(dir, 'ca.pem')), server, clients, otherCaFile: join(dir, 'other-ca.pem'), foreignClient };
}
