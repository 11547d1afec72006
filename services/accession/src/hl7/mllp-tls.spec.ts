import { tlsServerOptions, verifiedCertificate } from './mllp-tls';

describe('the client certificate of a connection', () => {
  const fingerprint256 = 'AB:'.repeat(31) + 'CD';

  it('a verified certificate: subject CN and SHA-256 (hex without colons)', () => {
    expect(verifiedCertificate(true, { subject: { CN: 'lis-a' }, fingerprint256 })).toEqual({ subjectCN: 'lis-a', sha256: 'AB'.repeat(31) + 'CD' });
    // Several CNs: the first; none: fingerprint only.
    expect(verifiedCertificate(true, { subject: { CN: ['lis-a', 'lis-b'] }, fingerprint256 })?.subjectCN).toBe('lis-a');
    expect(verifiedCertificate(true, { subject: {}, fingerprint256 })).toEqual({ sha256: 'AB'.repeat(31) + 'CD' });
  });

  it('not verified against the CA (client auth "request"), or no certificate: nobody', () => {
    expect(verifiedCertificate(false, { subject: { CN: 'lis-a' }, fingerprint256 })).toBeUndefined();
    expect(verifiedCertificate(true, {})).toBeUndefined();
  });
});

describe('tlsServerOptions', () => {
  const timeout = { ACCESSION_MLLP_FRAME_TIMEOUT_MS: 30_000 };

  it('no certificate: plain TCP (undefined)', () => {
    expect(tlsServerOptions(timeout)).toBeUndefined();
  });

  it('an unreadable file stops the start naming the variable', () => {
    expect(() => tlsServerOptions({ ...timeout, ACCESSION_MLLP_TLS_CERT_FILE: '/nonexistent/cert.pem', ACCESSION_MLLP_TLS_KEY_FILE: '/nonexistent/key.pem' })).toThrow(
      /ACCESSION_MLLP_TLS_CERT_FILE cannot be read \(\/nonexistent\/cert.pem\): ENOENT/,
    );
  });
});
