import { ConfigError } from '@slidecharge/service-kit';
import { jsonBodyLimitBytes, loadServiceConfig } from './config';

const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

describe('scanner-events configuration', () => {
  it('defaults the port to 3002 and the batch limit to 500', () => {
    const config = loadServiceConfig(env);
    expect(config.PORT).toBe(3002);
    expect(config.SCAN_BATCH_MAX).toBe(500);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('reads PORT and SCAN_BATCH_MAX from the environment', () => {
    const config = loadServiceConfig({ ...env, PORT: '4002', SCAN_BATCH_MAX: '50' });
    expect(config.PORT).toBe(4002);
    expect(config.SCAN_BATCH_MAX).toBe(50);
  });

  it('names each missing or bad variable', () => {
    let error: unknown;
    try {
      loadServiceConfig({ KAFKA_BROKERS: '127.0.0.1:9092', SCAN_BATCH_MAX: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('SCAN_BATCH_MAX');
  });

  it('sizes the JSON body limit for a full batch, never below Express’s 100 kB default', () => {
    expect(jsonBodyLimitBytes(500)).toBe(500 * 4096);
    expect(jsonBodyLimitBytes(1)).toBe(100 * 1024);
  });

  it('defaults the auth, idempotency and DICOM settings', () => {
    const config = loadServiceConfig(env);
    expect(config.SCANNER_ADMIN_TOKEN).toBeUndefined();
    expect(config.SCANNER_DEV_API_KEY).toBeUndefined();
    expect(config.SCANNER_IDEMPOTENCY_TTL_HOURS).toBe(24);
    expect(config.DICOM_MAX_BYTES).toBe(8 * 1024 * 1024);
    expect(config.DICOM_DEFAULT_UTC_OFFSET).toBe('+0000');
    expect(config.SCANNER_INGRESS_CONSUMER_GROUP).toBe('scanner-events');
  });

  const key = 'sck_devstack_local-stack-key-not-a-secret-0000';
  const problemsOf = (over: Record<string, string>): string => {
    try {
      loadServiceConfig({ ...env, ...over });
      return '';
    } catch (e) {
      return (e as ConfigError).problems.join('\n');
    }
  };

  it('takes the development key in development only, and treats empty variables as unset', () => {
    expect(loadServiceConfig({ ...env, SCANNER_ADMIN_TOKEN: '', SCANNER_DEV_API_KEY: ' ' }).SCANNER_DEV_API_KEY).toBeUndefined();
    const config = loadServiceConfig({ ...env, SLIDECHARGE_ENV: 'development', SCANNER_DEV_API_KEY: key, DICOM_DEFAULT_UTC_OFFSET: '-0500' });
    expect(config.SCANNER_DEV_API_KEY).toBe(key);
    expect(config.DICOM_DEFAULT_UTC_OFFSET).toBe('-0500');
    expect(problemsOf({ SCANNER_DEV_API_KEY: key, SLIDECHARGE_ENV: 'production' })).toContain('SCANNER_DEV_API_KEY is a development key: it is refused unless SLIDECHARGE_ENV=development');
  });

  it('refuses the retired admin token, a malformed development key and a bad UTC offset, by name', () => {
    const problems = problemsOf({ SLIDECHARGE_ENV: 'development', SCANNER_ADMIN_TOKEN: 'a'.repeat(32), SCANNER_DEV_API_KEY: 'devkey', DICOM_DEFAULT_UTC_OFFSET: 'CET' });
    expect(problems).toContain('SCANNER_ADMIN_TOKEN is no longer read: API keys are managed by people signed in with role integration-admin');
    expect(problems).toContain('SCANNER_DEV_API_KEY must look like sck_<id>_<secret>');
    expect(problems).toContain('DICOM_DEFAULT_UTC_OFFSET must be +HHMM');
  });

  it('takes an ingress consumer group under the principal\'s prefix only', () => {
    expect(loadServiceConfig({ ...env, SCANNER_INGRESS_CONSUMER_GROUP: ' scanner-events-it-1 ' }).SCANNER_INGRESS_CONSUMER_GROUP).toBe('scanner-events-it-1');
    expect(loadServiceConfig({ ...env, SCANNER_INGRESS_CONSUMER_GROUP: '' }).SCANNER_INGRESS_CONSUMER_GROUP).toBe('scanner-events');
    expect(problemsOf({ SCANNER_INGRESS_CONSUMER_GROUP: 'qc' })).toContain('SCANNER_INGRESS_CONSUMER_GROUP must start with scanner-events');
  });
});
