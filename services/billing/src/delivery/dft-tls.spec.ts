import { ConfigError } from '@slidecharge/service-kit';
import { loadDftTls } from './dft-tls';

describe('loadDftTls', () => {
  it('no files: the system CAs, nothing read', () => {
    expect(loadDftTls({})).toEqual({});
    expect(loadDftTls({ servername: 'billing.local' })).toEqual({ servername: 'billing.local' });
  });

  it('an unreadable or unusable file stops the start naming the variable', () => {
    expect(() => loadDftTls({ caFile: '/nonexistent/ca.pem' })).toThrow(ConfigError);
    expect(() => loadDftTls({ caFile: '/nonexistent/ca.pem' })).toThrow(/BILLING_DFT_TLS_CA_FILE cannot be read \(\/nonexistent\/ca.pem\): ENOENT/);
    expect(() => loadDftTls({ certFile: __filename, keyFile: __filename })).toThrow(/BILLING_DFT_TLS_CA_FILE \/ BILLING_DFT_TLS_CERT_FILE \/ BILLING_DFT_TLS_KEY_FILE cannot be used/);
  });
});
