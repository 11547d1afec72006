import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '@slidecharge/service-kit';
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
    ...(files.caFile !== undefined ? { ca: pem('BILLING_DFT_TLS_CA_FILE', files.caFile) } : {}),
    ...(files.certFile !== undefined ? { cert: pem('BILLING_DFT_TLS_CERT_FILE', files.certFile) } : {}),
    ...(files.keyFile !== undefined ? { key: pem('BILLING_DFT_TLS_KEY_FILE', files.keyFile) } : {}),
    ...(files.servername !== undefined ? { servername: files.servername } : {}),
  };
  try {
    createSecureContext({ ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) });
  } catch (e) {
    throw new ConfigError([`BILLING_DFT_TLS_CA_FILE / BILLING_DFT_TLS_CERT_FILE / BILLING_DFT_TLS_KEY_FILE cannot be used: ${(e as Error).message}`]);
  }
  return tls;
}

function pem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError([`${variable} cannot be read (${path}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
}
