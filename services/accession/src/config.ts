import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';

export const ACCESSION_CONFIG = Symbol('ACCESSION_CONFIG');

/** The accession service reads the base variables (DATABASE_URL, KAFKA_BROKERS, HOST, LOG_LEVEL, ...) and PORT. */
export const accessionConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3001),
});

export type AccessionConfig = z.output<typeof accessionConfigSchema>;

/** Validates the environment; throws ConfigError naming every variable at fault. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): AccessionConfig {
  return loadConfig(accessionConfigSchema, env);
}
