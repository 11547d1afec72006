import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from './config';

const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

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

describe('MLLP listener config', () => {
  it('defaults: enabled on port 2575, bound to HOST, 30 s frame timeout, 1 MiB messages', () => {
    const c = loadServiceConfig(env);
    expect(c).toMatchObject({
      ACCESSION_MLLP_ENABLED: true,
      ACCESSION_MLLP_PORT: 2575,
      ACCESSION_MLLP_FRAME_TIMEOUT_MS: 30_000,
      ACCESSION_MLLP_MAX_MESSAGE_BYTES: 1024 * 1024,
    });
    expect(c.ACCESSION_MLLP_HOST).toBeUndefined();
  });

  it('reads the variables; empty means unset; 0 is a free port', () => {
    const c = loadServiceConfig({
      ...env,
      ACCESSION_MLLP_ENABLED: 'false',
      ACCESSION_MLLP_PORT: '0',
      ACCESSION_MLLP_HOST: '0.0.0.0',
      ACCESSION_MLLP_FRAME_TIMEOUT_MS: '',
      ACCESSION_MLLP_MAX_MESSAGE_BYTES: '65536',
    });
    expect(c).toMatchObject({ ACCESSION_MLLP_ENABLED: false, ACCESSION_MLLP_PORT: 0, ACCESSION_MLLP_HOST: '0.0.0.0', ACCESSION_MLLP_FRAME_TIMEOUT_MS: 30_000, ACCESSION_MLLP_MAX_MESSAGE_BYTES: 65536 });
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadServiceConfig({ ...env, ACCESSION_MLLP_ENABLED: 'yes', ACCESSION_MLLP_PORT: '70000', ACCESSION_MLLP_FRAME_TIMEOUT_MS: 'soon', ACCESSION_MLLP_MAX_MESSAGE_BYTES: '10' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['ACCESSION_MLLP_ENABLED', 'ACCESSION_MLLP_PORT', 'ACCESSION_MLLP_FRAME_TIMEOUT_MS', 'ACCESSION_MLLP_MAX_MESSAGE_BYTES']) expect(problems).toContain(name);
  });
});
