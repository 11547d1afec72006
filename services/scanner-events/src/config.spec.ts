import { ConfigError } from '@slidecharge/service-kit';
import { jsonBodyLimitBytes, loadServiceConfig } from './config';

const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development' };

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
  });

  it('treats empty auth variables as unset and reads good ones', () => {
    expect(loadServiceConfig({ ...env, SCANNER_ADMIN_TOKEN: '', SCANNER_DEV_API_KEY: ' ' }).SCANNER_DEV_API_KEY).toBeUndefined();
    const key = 'sck_devstack_local-stack-key-not-a-secret-0000';
    const config = loadServiceConfig({ ...env, SCANNER_ADMIN_TOKEN: 'a'.repeat(32), SCANNER_DEV_API_KEY: key, DICOM_DEFAULT_UTC_OFFSET: '-0500' });
    expect(config.SCANNER_DEV_API_KEY).toBe(key);
    expect(config.SCANNER_ADMIN_TOKEN).toBe('a'.repeat(32));
    expect(config.DICOM_DEFAULT_UTC_OFFSET).toBe('-0500');
  });

  it('refuses a short admin token, a malformed development key and a bad UTC offset, by name', () => {
    let error: unknown;
    try {
      loadServiceConfig({ ...env, SCANNER_ADMIN_TOKEN: 'short', SCANNER_DEV_API_KEY: 'devkey', DICOM_DEFAULT_UTC_OFFSET: 'CET' });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('SCANNER_ADMIN_TOKEN must be at least 32 characters');
    expect(problems).toContain('SCANNER_DEV_API_KEY must look like sck_<id>_<secret>');
    expect(problems).toContain('DICOM_DEFAULT_UTC_OFFSET must be +HHMM');
  });
});
