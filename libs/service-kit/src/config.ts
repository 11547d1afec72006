import { z } from 'zod';
import { AuthConfig, authConfigProblems, authConfigShape } from './auth/auth.config';
import { httpConfigShape } from './http-settings';

/** Variables every service reads. Each service extends this with its own. */
export const baseConfigSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required: the URL of the service role (node scripts/service-database-url.mjs <service> prints it)' })
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

/** Validates the environment at start; a missing or bad variable stops the service with its name. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(environment)'} ${i.message}`));
  const problems = isAuthConfig(result.data) ? authConfigProblems(result.data) : [];
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

function isAuthConfig(value: unknown): value is AuthConfig {
  return typeof value === 'object' && value !== null && 'OIDC_ISSUER' in value && 'SLIDECHARGE_ENV' in value;
}
