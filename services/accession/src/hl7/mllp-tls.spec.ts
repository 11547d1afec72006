import { verifiedCertificate } from './mllp-tls';

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
