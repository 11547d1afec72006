import { z } from 'zod';
import { DEAD_LETTER_DEFAULT_RECORD_BYTES, DEAD_LETTER_MIN_RECORD_BYTES, OUTBOX_DEFAULT_BATCH_BYTES } from '@slidecharge/messaging';

/** Variables every service reads. Each service extends this with its own. */
export const baseConfigSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required (e.g. postgresql://postgres@127.0.0.1:5432/slidecharge)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  KAFKA_BROKERS: z
    .string({ error: 'is required (e.g. 127.0.0.1:9092)' })
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.\-_]+:\d{2,5}$/, 'each broker must be host:port')).min(1, 'needs at least one host:port')),
  HOST: z.string().default('127.0.0.1'),
  /**
   * production (the default) locks everything: no development keys, Kafka only over SASL + TLS, API
   * docs and metrics behind a token unless configured off. development is for the local stack and
   * the tests, and is said in the log at start.
   */
  SLIDECHARGE_ENV: z.enum(['development', 'production'], { error: 'must be development or production' }).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** Days a dead-lettered message is kept whole in the service's dead_letter table (purged hourly). */
  DEAD_LETTER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /**
   * Largest dead-letter record sent to Kafka, in bytes: the original message travels in it only when
   * it fits, else the record refers to the dead_letter row. Keep it well under the broker's 1 MiB limit.
   */
  DEAD_LETTER_MAX_RECORD_BYTES: z.coerce.number().int().min(DEAD_LETTER_MIN_RECORD_BYTES).max(900 * 1024).default(DEAD_LETTER_DEFAULT_RECORD_BYTES),
  /** Most bytes the outbox relay sends in one batch (a larger record goes alone). Below the broker's limit. */
  OUTBOX_BATCH_MAX_BYTES: z.coerce.number().int().min(16 * 1024).max(16 * 1024 * 1024).default(OUTBOX_DEFAULT_BATCH_BYTES),
  /** Milliseconds to finish in-flight work on SIGTERM before exiting anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000),
});

export type BaseServiceConfig = z.output<typeof baseConfigSchema>;

export const portVariable = (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the environment at start; a missing or bad variable stops the service with its name. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(environment)'} ${i.message}`));
}
