import { ConfigError } from '@slidecharge/service-kit';
import { jsonBodyLimitBytes, loadServiceConfig } from './config';

const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092' };

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
});
