import { z } from 'zod';
import { KafkaConnection, kafkaConnectionShape, resolveKafkaConnection } from '@slidecharge/kafka-client';
import { authConfigProblems, authConfigShape } from './auth/auth.config';
import { httpConfigShape } from './http-settings';
import { DEAD_LETTER_DEFAULT_RECORD_BYTES, DEAD_LETTER_MIN_RECORD_BYTES, OUTBOX_DEFAULT_BATCH_BYTES } from '@slidecharge/messaging';

/** Variables every service reads. Each service extends this with its own. */
export const baseConfigSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required: the URL of the service role (node scripts/service-database-url.mjs <service> prints it)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  /**
   * KAFKA_BROKERS, KAFKA_SASL_MECHANISM (scram-sha-512), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD or
   * KAFKA_SASL_PASSWORD_FILE, KAFKA_TLS (false), KAFKA_TLS_CA_FILE: see libs/kafka-client/src/kafka-connection.ts.
   * In production a service refuses to start without SASL and TLS.
   */
  ...kafkaConnectionShape,
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
  /**
   * Days a published outbox record is kept (purged hourly from 5 minutes after start, at most 100,000 a run): the
   * outbox is a copy of what went to Kafka, with patient ids in it. 0 (the default): the relay deletes a record in
   * the transaction that published it: one WAL record where marking it writes five (docs/benchmarks.md); Kafka
   * keeps the events for its own retention. Unpublished and parked records stay either way.
   */
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
  /** Most bytes the outbox relay sends in one batch (a larger record goes alone). Below the broker's limit. */
  OUTBOX_BATCH_MAX_BYTES: z.coerce.number().int().min(16 * 1024).max(16 * 1024 * 1024).default(OUTBOX_DEFAULT_BATCH_BYTES),
  /** Milliseconds to finish in-flight work on SIGTERM before exiting anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000),
  ...authConfigShape,
  /** HTTP_JSON_MAX_DEPTH, PUBLIC_BASE_URL, HTTP_ALLOWED_HOSTS (see http-settings.ts). */
  ...httpConfigShape,
});

export const portVariable = (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export type BaseConfig = z.output<typeof baseConfigSchema>;

/**
 * Checks across base variables, which a zod object cannot carry without losing .extend(): the
 * Kafka settings against each other and against SLIDECHARGE_ENV, and the files they name; what
 * production refuses of the identity provider and the docs and metrics exposure.
 */
function baseConfigProblems(env: NodeJS.ProcessEnv): string[] {
  const base = baseConfigSchema.safeParse(env);
  if (!base.success) return []; // the service's own schema has reported these
  const kafka = resolveKafkaConnection(base.data, base.data.SLIDECHARGE_ENV);
  return [...(kafka.ok ? [] : kafka.problems), ...authConfigProblems(base.data)];
}

/** Validates the environment at start; a missing or bad variable stops the service with its name. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(environment)'} ${i.message}`);
  problems.push(...baseConfigProblems(env));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** The service's Kafka connection (brokers, credential, CA) from its validated configuration. */
export function kafkaConnectionOf(config: Pick<BaseConfig, 'SLIDECHARGE_ENV' | keyof typeof kafkaConnectionShape>): KafkaConnection {
  const resolved = resolveKafkaConnection(config, config.SLIDECHARGE_ENV);
  if (!resolved.ok) throw new ConfigError(resolved.problems);
  return resolved.connection;
}
