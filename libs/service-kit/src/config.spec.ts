import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig, portVariable } from './config';
import { ZodValidationPipe } from './http';
import { BadRequestException } from '@nestjs/common';

const schema = baseConfigSchema.extend({ PORT: portVariable(3004) });
const base = { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(schema, env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

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
      loadConfig(schema, { KAFKA_BROKERS: 'no-port', PORT: 'http', OIDC_ISSUER: base.OIDC_ISSUER });
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
