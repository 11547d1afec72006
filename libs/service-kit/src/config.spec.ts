import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig, portVariable } from './config';
import { ZodValidationPipe } from './http';
import { BadRequestException } from '@nestjs/common';

const schema = baseConfigSchema.extend({ PORT: portVariable(3004) });

describe('loadConfig', () => {
  it('parses brokers and defaults', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgresql://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093' });
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
