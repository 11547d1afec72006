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

/** Room for one event at its largest (long image URI and failure reason) with margin. */
const BYTES_PER_EVENT = 4 * 1024;

/** The JSON body limit a batch of `batchMax` events needs (Express's default of 100 kB fits ~200). */
export function jsonBodyLimitBytes(batchMax: number): number {
  return Math.max(100 * 1024, batchMax * BYTES_PER_EVENT);
}
