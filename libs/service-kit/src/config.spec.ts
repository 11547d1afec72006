import { z } from 'zod';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfigSchema, ConfigError, kafkaConnectionOf, loadConfig, portVariable } from './config';
import { ZodValidationPipe } from './http';
import { BadRequestException } from '@nestjs/common';

const schema = baseConfigSchema.extend({ PORT: portVariable(3004) });
const dir = mkdtempSync(join(tmpdir(), 'service-kit-config-'));
const passwordFile = join(dir, 'qc.password');
const caFile = join(dir, 'ca.pem');
writeFileSync(passwordFile, 'pw\n');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const issuer = { OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };
const kafkaSecured = { KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile };
/** A configuration production accepts. */
const base = { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093', ...kafkaSecured, ...issuer };

describe('loadConfig', () => {
  it('parses brokers and defaults', () => {
    const config = loadConfig(schema, base);
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.PORT).toBe(3004);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.SLIDECHARGE_ENV).toBe('production');
    expect(config.OIDC_AUDIENCE).toBe('slidecharge-api');
    expect(config.OIDC_ROLES_CLAIM).toBe('roles');
    expect(config.OIDC_ALGORITHMS).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('needs the identity provider, refuses symmetric or unknown signature algorithms', () => {
    expect(problemsOf({ ...base, OIDC_ISSUER: '' })).toEqual([expect.stringMatching(/^OIDC_ISSUER /)]);
    expect(problemsOf({ ...base, OIDC_ALGORITHMS: 'RS256,HS256' })).toEqual([expect.stringMatching(/^OIDC_ALGORITHMS\.1 each must be one of/)]);
    expect(problemsOf({ ...base, OIDC_ALGORITHMS: 'none' })).toHaveLength(1);
  });

  it('refuses in production what development allows: plain http to the identity provider, open docs and metrics', () => {
    const plain = { ...base, OIDC_ISSUER: 'http://sso.hospital.org/realms/lab', HTTP_DOCS: 'open', HTTP_METRICS: 'open' };
    expect(problemsOf(plain)).toEqual([
      expect.stringContaining('OIDC_ISSUER must be an https:// URL in production'),
      expect.stringContaining('HTTP_DOCS cannot be open in production'),
      expect.stringContaining('HTTP_METRICS cannot be open in production'),
    ]);
    expect(problemsOf({ ...plain, SLIDECHARGE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ ...base, OIDC_ISSUER: 'http://127.0.0.1:8180/realms/slidecharge' })).toEqual([]);
  });

  it('names every missing or bad variable', () => {
    let error: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'no-port', PORT: 'http', ...issuer });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text).toContain('DATABASE_URL is required');
    expect(text).toContain('KAFKA_BROKERS.0 each broker must be host:port');
    expect(text).toMatch(/PORT /);
  });
});

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(schema, env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('Kafka security at start', () => {
  const base = { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'kafka-1:9093', ...issuer };
  const secured = { ...base, ...kafkaSecured };

  it('refuses to start in production (the default) without SASL and TLS, naming the variables', () => {
    const problems = problemsOf(base);
    expect(problems).toEqual([
      expect.stringContaining('KAFKA_SASL_USERNAME (with KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE) is required when SLIDECHARGE_ENV=production'),
      expect.stringContaining('KAFKA_TLS must be true when SLIDECHARGE_ENV=production'),
    ]);
  });

  it('reports Kafka problems together with the other bad variables', () => {
    expect(problemsOf({ ...base, PORT: 'http', KAFKA_SASL_USERNAME: 'qc', KAFKA_TLS: 'true' })).toEqual([
      expect.stringMatching(/^PORT /),
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_USERNAME',
    ]);
  });

  it('starts in production with SASL and TLS, and in development without them', () => {
    const config = loadConfig(schema, secured);
    expect(kafkaConnectionOf(config)).toEqual({
      brokers: ['kafka-1:9093'],
      sasl: { mechanism: 'scram-sha-512', username: 'qc', password: 'pw' },
      tls: { ca: expect.stringContaining('BEGIN CERTIFICATE') },
    });
    expect(kafkaConnectionOf(loadConfig(schema, { ...base, SLIDECHARGE_ENV: 'development' }))).toEqual({ brokers: ['kafka-1:9093'] });
  });
});

describe('ZodValidationPipe', () => {
  it('answers 400 with every wrong field', () => {
    const pipe = new ZodValidationPipe(z.object({ units: z.int().min(1), code: z.string() }));
    let error: unknown;
    try {
      pipe.transform({ units: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { error: string; issues: { path: string }[] };
    expect(body.error).toBe('validation_failed');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['code', 'units']);
  });
});
