import { checkTlsMaterial, readPemFile } from '@slidecharge/service-kit';
import type { DftTlsFiles } from './delivery.config';

/** What the sender's TLS connection uses: PEM contents read once at start. */
export interface DftTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/**
 * Reads the TLS files of DFT^P03 delivery at start; an unreadable file, a key that does not match
 * its certificate or a bad CA stops billing naming the variable.
 */
export function loadDftTls(files: DftTlsFiles): DftTls {
  const tls: DftTls = {
    ...(files.caFile !== undefined ? { ca: readPemFile('BILLING_DFT_TLS_CA_FILE', files.caFile) } : {}),
    ...(files.certFile !== undefined ? { cert: readPemFile('BILLING_DFT_TLS_CERT_FILE', files.certFile) } : {}),
    ...(files.keyFile !== undefined ? { key: readPemFile('BILLING_DFT_TLS_KEY_FILE', files.keyFile) } : {}),
    ...(files.servername !== undefined ? { servername: files.servername } : {}),
  };
  checkTlsMaterial(['BILLING_DFT_TLS_CA_FILE', 'BILLING_DFT_TLS_CERT_FILE', 'BILLING_DFT_TLS_KEY_FILE'], tls);
  return tls;
}
