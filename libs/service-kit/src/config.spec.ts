import { z } from 'zod';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfigSchema, ConfigError, kafkaConnectionOf, loadConfig, portVariable } from './config';
import { ZodValidationPipe } from './http';
import { BadRequestException } from '@nestjs/common';

const schema = baseConfigSchema.extend({ PORT: portVariable(3004) });

describe('loadConfig', () => {
  it('parses brokers and defaults', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093', SLIDECHARGE_ENV: 'development' });
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.PORT).toBe(3004);
    expect(config.HOST).toBe('127.0.0.1');
  });

  it('names every missing or bad variable', () => {
    let error: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'no-port', PORT: 'http' });
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
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-config-'));
  const passwordFile = join(dir, 'qc.password');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(passwordFile, 'pw\n');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const base = { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'kafka-1:9093' };
  const secured = { ...base, KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile };

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
