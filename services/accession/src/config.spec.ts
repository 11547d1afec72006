import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from './config';
import { clientAuthOf } from './hl7/mllp.config';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };
const env = { ...base, SLIDECHARGE_ENV: 'development' };

/** The problems a ConfigError names, as one text (fails when the config is accepted). */
function problemsOf(vars: NodeJS.ProcessEnv): string {
  try {
    loadServiceConfig(vars);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('the configuration was accepted');
}

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
  it('defaults: enabled on port 2575, bound to HOST, 30 s frame timeout, 10 min idle timeout, 1 MiB messages, 64 connections (8 per peer), plain TCP, no allow-list', () => {
    const c = loadServiceConfig(env);
    expect(c).toMatchObject({
      ACCESSION_MLLP_ENABLED: true,
      ACCESSION_MLLP_PORT: 2575,
      ACCESSION_MLLP_FRAME_TIMEOUT_MS: 30_000,
      ACCESSION_MLLP_IDLE_TIMEOUT_MS: 600_000,
      ACCESSION_MLLP_MAX_MESSAGE_BYTES: 1024 * 1024,
      ACCESSION_MLLP_MAX_CONNECTIONS: 64,
      ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: 8,
      ACCESSION_MAX_CASE_BYTES: 256 * 1024,
      ACCESSION_HL7_RETENTION_DAYS: 90,
    });
    expect(c.ACCESSION_MLLP_HOST).toBeUndefined();
    expect(c.ACCESSION_MLLP_TLS_CERT_FILE).toBeUndefined();
    expect(c.ACCESSION_MLLP_SENDERS_FILE).toBeUndefined();
  });

  it('production (the default SLIDECHARGE_ENV) requires a sender allow-list while MLLP is on', () => {
    // Production also needs Kafka over SASL and TLS: a password file and a CA file that can be read.
    const dir = mkdtempSync(join(tmpdir(), 'accession-config-'));
    writeFileSync(join(dir, 'password'), 'pw\n');
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const production = { ...base, KAFKA_SASL_USERNAME: 'accession', KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'), KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: join(dir, 'ca.pem') };
    expect(problemsOf(production)).toContain('ACCESSION_MLLP_SENDERS_FILE is required in production');
    expect(loadServiceConfig({ ...production, ACCESSION_MLLP_SENDERS_FILE: '/etc/slidecharge/senders.json' }).SLIDECHARGE_ENV).toBe('production');
    expect(loadServiceConfig({ ...production, ACCESSION_MLLP_ENABLED: 'false' }).ACCESSION_MLLP_ENABLED).toBe(false);
  });

  it('TLS: certificate and key together; client certificates need TLS and a CA; the CA alone means require', () => {
    expect(problemsOf({ ...env, ACCESSION_MLLP_TLS_CERT_FILE: '/c.pem' })).toContain('ACCESSION_MLLP_TLS_KEY_FILE is required with the other');
    expect(problemsOf({ ...env, ACCESSION_MLLP_TLS_CLIENT_AUTH: 'require' })).toMatch(/ACCESSION_MLLP_TLS_CLIENT_AUTH is require: client certificates need TLS[\s\S]*ACCESSION_MLLP_TLS_CA_FILE is required/);
    const tls = { ...env, ACCESSION_MLLP_TLS_CERT_FILE: '/c.pem', ACCESSION_MLLP_TLS_KEY_FILE: '/k.pem' };
    expect(problemsOf({ ...tls, ACCESSION_MLLP_TLS_CA_FILE: '/ca.pem', ACCESSION_MLLP_TLS_CLIENT_AUTH: 'none' })).toContain('client certificates would not be checked');
    expect(problemsOf({ ...tls, ACCESSION_MLLP_TLS_CLIENT_AUTH: 'maybe' })).toContain('ACCESSION_MLLP_TLS_CLIENT_AUTH must be none, request or require');
    expect(loadServiceConfig({ ...tls, ACCESSION_MLLP_TLS_CA_FILE: '/ca.pem' }).ACCESSION_MLLP_TLS_CLIENT_AUTH).toBeUndefined();
    expect(clientAuthOf({ ACCESSION_MLLP_TLS_CA_FILE: '/ca.pem' })).toBe('require');
    expect(clientAuthOf({})).toBe('none');
    expect(clientAuthOf({ ACCESSION_MLLP_TLS_CA_FILE: '/ca.pem', ACCESSION_MLLP_TLS_CLIENT_AUTH: 'request' })).toBe('request');
  });

  it('connection caps, case size and retention are bounded', () => {
    const problems = problemsOf({
      ...env,
      ACCESSION_MLLP_MAX_CONNECTIONS: '4',
      ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: '5',
      ACCESSION_MAX_CASE_BYTES: String(1024 * 1024),
      ACCESSION_HL7_RETENTION_DAYS: '0',
      ACCESSION_MLLP_IDLE_TIMEOUT_MS: '10',
    });
    for (const name of ['ACCESSION_MAX_CASE_BYTES', 'ACCESSION_HL7_RETENTION_DAYS', 'ACCESSION_MLLP_IDLE_TIMEOUT_MS']) expect(problems).toContain(name);
    expect(problemsOf({ ...env, ACCESSION_MLLP_MAX_CONNECTIONS: '4', ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: '5' })).toContain('ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER must be at most ACCESSION_MLLP_MAX_CONNECTIONS (4)');
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
