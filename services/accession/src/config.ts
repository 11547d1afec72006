import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';

export const ACCESSION_CONFIG = Symbol('ACCESSION_CONFIG');

/** An empty variable counts as unset (compose files and shells often export VAR=). */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

/**
 * The accession service reads the base variables (DATABASE_URL, KAFKA_BROKERS, HOST, LOG_LEVEL, ...),
 * PORT, and the MLLP listener's ACCESSION_MLLP_* variables (HL7 v2 orders from the LIS, issue #4).
 */
export const accessionConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3001),
  /** `false` runs no MLLP listener (REST only); readiness then reports it as disabled. */
  ACCESSION_MLLP_ENABLED: unsetWhenEmpty(
    z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
  ),
  /** TCP port of the MLLP listener (2575, the port IANA lists for HL7 over MLLP); 0 = any free port (tests). */
  ACCESSION_MLLP_PORT: unsetWhenEmpty(portVariable(2575)),
  /** Address the MLLP listener binds; default HOST. 0.0.0.0 lets an LIS on another machine connect. */
  ACCESSION_MLLP_HOST: unsetWhenEmpty(z.string().trim().min(1).optional()),
  /** A frame the sender started and did not end within this many ms is answered AR and the connection closed. */
  ACCESSION_MLLP_FRAME_TIMEOUT_MS: unsetWhenEmpty(z.coerce.number({ error: 'must be a number' }).int().min(100).max(600_000).default(30_000)),
  /** Largest HL7 message accepted, in bytes; a longer frame is not read and is answered AR 100 (the connection closes after 3 framing errors). */
  ACCESSION_MLLP_MAX_MESSAGE_BYTES: unsetWhenEmpty(
    z.coerce.number({ error: 'must be a number' }).int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  ),
});

export type AccessionConfig = z.output<typeof accessionConfigSchema>;

/** Validates the environment; throws ConfigError naming every variable at fault. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): AccessionConfig {
  return loadConfig(accessionConfigSchema, env);
}
