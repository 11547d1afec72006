import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';
import { checkMllpConfig, mllpConfigShape, unsetWhenEmpty } from './hl7/mllp.config';

export const ACCESSION_CONFIG = Symbol('ACCESSION_CONFIG');

/** Kafka refuses records over 1 MiB; a case event must stay well below it (headers, key and batch overhead). */
const MAX_CASE_BYTES_CEILING = 768 * 1024;

/**
 * The accession service reads the base variables (DATABASE_URL, KAFKA_BROKERS, HOST, LOG_LEVEL, ...),
 * PORT, the MLLP listener's ACCESSION_MLLP_* variables (HL7 v2 orders from the LIS, issue #4; TLS,
 * connection caps and sender allow-list, issue #7), the case size cap and the HL7 message retention.
 */
export const accessionConfigSchema = baseConfigSchema
  .extend({
    PORT: portVariable(3001),
    ...mllpConfigShape,
    /**
     * Largest case accepted, as its serialized case event in bytes (REST: 413; HL7: AE). Default
     * 256 KiB; at most 768 KiB so that an event always fits Kafka's 1 MiB record limit.
     */
    ACCESSION_MAX_CASE_BYTES: unsetWhenEmpty(
      z.coerce.number({ error: 'must be a number of bytes' }).int('must be a whole number').min(16 * 1024).max(MAX_CASE_BYTES_CEILING).default(256 * 1024),
    ),
    /** Received HL7 messages (hl7_message, raw text with PHI) older than this many days are deleted by a periodic job. */
    ACCESSION_HL7_RETENTION_DAYS: unsetWhenEmpty(z.coerce.number({ error: 'must be a number of days' }).int('must be a whole number').min(1).max(3650).default(90)),
  })
  .superRefine(checkMllpConfig);

export type AccessionConfig = z.output<typeof accessionConfigSchema>;

/** Validates the environment; throws ConfigError naming every variable at fault. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): AccessionConfig {
  return loadConfig(accessionConfigSchema, env);
}
