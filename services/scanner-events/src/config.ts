import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';

export const SERVICE_NAME = 'scanner-events';
/** Postgres schema this service owns (prisma/scanner-events/schema.prisma). */
export const PG_SCHEMA = 'scanner';

export const configSchema = baseConfigSchema.extend({
  PORT: portVariable(3002),
  /** Most events one POST /scan-events/batch may carry. */
  SCAN_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
});

export type ServiceConfig = z.output<typeof configSchema>;

/** Nest injection token for the validated configuration. */
export const CONFIG = Symbol('CONFIG');
/** Nest injection token for the service's pino logger. */
export const LOGGER = Symbol('LOGGER');

/** Reads and validates the environment; throws ConfigError naming each bad variable. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return loadConfig(configSchema, env);
}
