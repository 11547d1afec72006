import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from './config';

const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092' };

describe('accession config', () => {
  it('defaults PORT to 3001 and lets the environment override it', () => {
    expect(loadServiceConfig(env).PORT).toBe(3001);
    expect(loadServiceConfig({ ...env, PORT: '4001' }).PORT).toBe(4001);
    expect(loadServiceConfig(env).KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('names a missing DATABASE_URL and a bad PORT', () => {
    let error: unknown;
    try {
      loadServiceConfig({ KAFKA_BROKERS: '127.0.0.1:9092', PORT: 'eighty' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('PORT');
  });
});
