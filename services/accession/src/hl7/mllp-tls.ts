import type { TlsOptions } from 'node:tls';
import { checkTlsMaterial, readPemFile } from '@slidecharge/service-kit';
import type { AccessionConfig } from '../config';
import type { PeerCertificate } from './hl7-intake';
import { clientAuthOf } from './mllp.config';

type TlsVariables = Pick<
  AccessionConfig,
  'ACCESSION_MLLP_TLS_CERT_FILE' | 'ACCESSION_MLLP_TLS_KEY_FILE' | 'ACCESSION_MLLP_TLS_CA_FILE' | 'ACCESSION_MLLP_TLS_CLIENT_AUTH' | 'ACCESSION_MLLP_FRAME_TIMEOUT_MS'
>;

/**
 * The listener's TLS settings, or undefined for plain TCP (no certificate configured). Reads the PEM
 * files and builds a secure context once, so an unreadable file, a key that does not match its
 * certificate or a bad CA stops the start naming the variable. TLS 1.2 at least; client
 * certificates per ACCESSION_MLLP_TLS_CLIENT_AUTH; the handshake must end within the frame timeout.
 */
export function tlsServerOptions(config: TlsVariables): TlsOptions | undefined {
  if (config.ACCESSION_MLLP_TLS_CERT_FILE === undefined || config.ACCESSION_MLLP_TLS_KEY_FILE === undefined) return undefined;
  const clientAuth = clientAuthOf(config);
  const material = {
    cert: readPemFile('ACCESSION_MLLP_TLS_CERT_FILE', config.ACCESSION_MLLP_TLS_CERT_FILE),
    key: readPemFile('ACCESSION_MLLP_TLS_KEY_FILE', config.ACCESSION_MLLP_TLS_KEY_FILE),
    ...(config.ACCESSION_MLLP_TLS_CA_FILE !== undefined ? { ca: readPemFile('ACCESSION_MLLP_TLS_CA_FILE', config.ACCESSION_MLLP_TLS_CA_FILE) } : {}),
  };
  checkTlsMaterial(['ACCESSION_MLLP_TLS_CERT_FILE', 'ACCESSION_MLLP_TLS_KEY_FILE', 'ACCESSION_MLLP_TLS_CA_FILE'], material);
  return {
    ...material,
    minVersion: 'TLSv1.2',
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'require',
    handshakeTimeout: config.ACCESSION_MLLP_FRAME_TIMEOUT_MS,
  };
}

/** What is read of TLSSocket.getPeerCertificate() (an empty object when the peer sent none). */
export interface CertificateFields {
  subject?: { CN?: unknown };
  fingerprint256?: string;
}

/**
 * The client certificate of a TLS connection when it was verified against the CA (`authorized`),
 * else undefined: an unverified certificate (client auth "request") identifies nobody.
 */
export function verifiedCertificate(authorized: boolean, certificate: CertificateFields): PeerCertificate | undefined {
  if (!authorized || !certificate.fingerprint256) return undefined;
  // Node types CN as a string, but a subject with several CNs gives an array.
  const cn = certificate.subject?.CN;
  const subjectCN = typeof cn === 'string' ? cn : Array.isArray(cn) && typeof cn[0] === 'string' ? cn[0] : undefined;
  return { ...(subjectCN !== undefined ? { subjectCN } : {}), sha256: certificate.fingerprint256.replace(/:/g, '').toUpperCase() };
}
