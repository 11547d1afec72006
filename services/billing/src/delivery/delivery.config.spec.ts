import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from '../config';
import { deliverySettingsOf } from './delivery.config';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

function problems(env: Record<string, string>): string {
  try {
    loadServiceConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('DFT^P03 delivery configuration', () => {
  it('is off when neither host nor port is set (or both are empty)', () => {
    expect(deliverySettingsOf(loadServiceConfig(base))).toEqual({ enabled: false });
    expect(deliverySettingsOf(loadServiceConfig({ ...base, BILLING_DFT_HOST: ' ', BILLING_DFT_PORT: '' }))).toEqual({ enabled: false });
  });

  it('is on with host and port, with defaults for the rest', () => {
    const settings = deliverySettingsOf(loadServiceConfig({ ...base, BILLING_DFT_HOST: 'billing.hospital.local', BILLING_DFT_PORT: '2575' }));
    expect(settings).toEqual({
      enabled: true,
      host: 'billing.hospital.local',
      port: 2575,
      ackTimeoutMs: 10_000,
      pollMs: 1000,
      connections: 1,
      retry: { maxAttempts: 12, baseMs: 2000, maxMs: 300_000 },
    });
  });

  it('reads the HL7 names and the retry settings', () => {
    const settings = deliverySettingsOf(
      loadServiceConfig({
        ...base,
        BILLING_DFT_HOST: '10.0.0.7',
        BILLING_DFT_PORT: '6661',
        BILLING_DFT_SENDING_FACILITY: 'PATHLAB',
        BILLING_DFT_RECEIVING_APPLICATION: 'EPIC',
        BILLING_DFT_RECEIVING_FACILITY: 'MAIN HOSPITAL',
        BILLING_DFT_ACK_TIMEOUT_MS: '5000',
        BILLING_DFT_MAX_ATTEMPTS: '3',
        BILLING_DFT_BACKOFF_BASE_MS: '500',
        BILLING_DFT_BACKOFF_MAX_MS: '4000',
        BILLING_DFT_POLL_MS: '250',
        BILLING_DFT_CONNECTIONS: '4',
      }),
    );
    expect(settings).toEqual({
      enabled: true,
      host: '10.0.0.7',
      port: 6661,
      sendingFacility: 'PATHLAB',
      receivingApplication: 'EPIC',
      receivingFacility: 'MAIN HOSPITAL',
      ackTimeoutMs: 5000,
      pollMs: 250,
      connections: 4,
      retry: { maxAttempts: 3, baseMs: 500, maxMs: 4000 },
    });
  });

  it('FT1-20 performer (NPI and name) and FT1-13 department, when set; an NPI is 10 digits', () => {
    const ok = { ...base, BILLING_DFT_HOST: 'billing.local', BILLING_DFT_PORT: '2575' };
    expect(deliverySettingsOf(loadServiceConfig(ok))).not.toHaveProperty('performer');
    const settings = deliverySettingsOf(
      loadServiceConfig({
        ...ok,
        BILLING_DFT_PERFORMER_NPI: '1234567893',
        BILLING_DFT_PERFORMER_FAMILY_NAME: 'UNIVERSITY PATHOLOGY LAB',
        BILLING_DFT_DEPARTMENT_CODE: 'PATH',
        BILLING_DFT_DEPARTMENT_NAME: 'Anatomic pathology',
      }),
    );
    expect(settings).toMatchObject({ performer: { npi: '1234567893', family: 'UNIVERSITY PATHOLOGY LAB' }, department: { code: 'PATH', text: 'Anatomic pathology' } });
    expect(problems({ ...ok, BILLING_DFT_PERFORMER_NPI: '12345' })).toContain('BILLING_DFT_PERFORMER_NPI must be an NPI (10 digits)');
    expect(problems({ ...ok, BILLING_DFT_PERFORMER_FAMILY_NAME: 'A^B' })).toContain('BILLING_DFT_PERFORMER_FAMILY_NAME may not contain the HL7 delimiters');
  });

  it('needs host and port together', () => {
    expect(problems({ ...base, BILLING_DFT_HOST: 'billing.local' })).toContain('BILLING_DFT_PORT is required when BILLING_DFT_HOST is set');
    expect(problems({ ...base, BILLING_DFT_PORT: '2575' })).toContain('BILLING_DFT_HOST is required when BILLING_DFT_PORT is set');
  });

  it('names every bad variable', () => {
    const text = problems({
      ...base,
      BILLING_DFT_HOST: 'bad host',
      BILLING_DFT_PORT: '70000',
      BILLING_DFT_RECEIVING_FACILITY: 'A^B',
      BILLING_DFT_MAX_ATTEMPTS: '0',
      BILLING_DFT_ACK_TIMEOUT_MS: 'soon',
      BILLING_DFT_CONNECTIONS: '0',
    });
    expect(text).toContain('BILLING_DFT_HOST must be a host name or an IP address');
    expect(text).toMatch(/BILLING_DFT_PORT /);
    expect(text).toContain('BILLING_DFT_RECEIVING_FACILITY may not contain the HL7 delimiters');
    expect(text).toMatch(/BILLING_DFT_MAX_ATTEMPTS /);
    expect(text).toContain('BILLING_DFT_ACK_TIMEOUT_MS must be a number of milliseconds');
    expect(text).toMatch(/BILLING_DFT_CONNECTIONS /);
    expect(problems({ ...base, BILLING_DFT_HOST: 'billing.local', BILLING_DFT_PORT: '2575', BILLING_DFT_CONNECTIONS: '1.5' })).toContain(
      'BILLING_DFT_CONNECTIONS must be a whole number',
    );
  });

  it('TLS: BILLING_DFT_TLS=true with its optional CA, client certificate and name; off by default', () => {
    const ok = { ...base, BILLING_DFT_HOST: 'billing.local', BILLING_DFT_PORT: '2575' };
    expect(deliverySettingsOf(loadServiceConfig(ok))).not.toHaveProperty('tls');
    expect(deliverySettingsOf(loadServiceConfig({ ...ok, BILLING_DFT_TLS: 'true' }))).toMatchObject({ tls: {} });
    const settings = deliverySettingsOf(
      loadServiceConfig({
        ...ok,
        BILLING_DFT_TLS: 'true',
        BILLING_DFT_TLS_CA_FILE: '/etc/slidecharge/billing-ca.pem',
        BILLING_DFT_TLS_CERT_FILE: '/etc/slidecharge/dft.pem',
        BILLING_DFT_TLS_KEY_FILE: '/etc/slidecharge/dft.key',
        BILLING_DFT_TLS_SERVERNAME: 'billing.hospital.local',
      }),
    );
    expect(settings).toMatchObject({
      tls: { caFile: '/etc/slidecharge/billing-ca.pem', certFile: '/etc/slidecharge/dft.pem', keyFile: '/etc/slidecharge/dft.key', servername: 'billing.hospital.local' },
    });
  });

  it('TLS files need BILLING_DFT_TLS=true, certificate and key come together', () => {
    const ok = { ...base, BILLING_DFT_HOST: 'billing.local', BILLING_DFT_PORT: '2575' };
    expect(problems({ ...ok, BILLING_DFT_TLS_CA_FILE: '/ca.pem' })).toContain('BILLING_DFT_TLS_CA_FILE is set but BILLING_DFT_TLS is not true');
    expect(problems({ ...ok, BILLING_DFT_TLS: 'true', BILLING_DFT_TLS_CERT_FILE: '/c.pem' })).toContain('BILLING_DFT_TLS_KEY_FILE is required with the other');
    expect(problems({ ...ok, BILLING_DFT_TLS: 'yes' })).toContain('BILLING_DFT_TLS must be true or false');
    expect(problems({ ...ok, BILLING_DFT_TLS: 'true', BILLING_DFT_TLS_SERVERNAME: 'a b' })).toContain('BILLING_DFT_TLS_SERVERNAME must be a host name');
  });

  it('keeps one ACK wait within the shutdown deadline, and the backoff cap above its base', () => {
    const ok = { ...base, BILLING_DFT_HOST: 'billing.local', BILLING_DFT_PORT: '2575' };
    expect(problems({ ...ok, BILLING_DFT_ACK_TIMEOUT_MS: '15000' })).toContain('BILLING_DFT_ACK_TIMEOUT_MS must be below SHUTDOWN_TIMEOUT_MS (15000)');
    expect(() => loadServiceConfig({ ...ok, BILLING_DFT_ACK_TIMEOUT_MS: '15000', SHUTDOWN_TIMEOUT_MS: '30000' })).not.toThrow();
    expect(problems({ ...ok, BILLING_DFT_BACKOFF_BASE_MS: '5000', BILLING_DFT_BACKOFF_MAX_MS: '1000' })).toContain(
      'BILLING_DFT_BACKOFF_MAX_MS must be at least BILLING_DFT_BACKOFF_BASE_MS (5000)',
    );
  });
});
