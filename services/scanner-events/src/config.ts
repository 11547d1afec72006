import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';
import { parseApiKey } from './auth/api-key';

export const SERVICE_NAME = 'scanner-events';
/** Postgres schema this service owns (prisma/scanner-events/schema.prisma). */
export const PG_SCHEMA = 'scanner';

export const configSchema = baseConfigSchema.extend({
  PORT: portVariable(3002),
  /** Most events one POST /scan-events/batch may carry. */
  SCAN_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Retired: key administration is done by people signed in with role integration-admin. */
  SCANNER_ADMIN_TOKEN: unsetWhenEmpty(
    z.undefined({ error: 'is no longer read: API keys are managed by people signed in with role integration-admin (see services/scanner-events/README.md); unset it' }).optional(),
  ),
  /**
   * Development only (SLIDECHARGE_ENV=development): an API key (sck_<id>_<secret>) that is made or
   * refreshed at start with scopes scan-events:write, scan-events:read and dicom:write, so the demo and
   * local tools need no admin step. Logged as a warning. Removed from the database at the next start
   * without it.
   */
  SCANNER_DEV_API_KEY: unsetWhenEmpty(
    z
      .string()
      .trim()
      .refine((v) => parseApiKey(v) !== undefined, 'must look like sck_<id>_<secret> (id: 6-32 of a-z 0-9; secret: 32+ of A-Z a-z 0-9 _ -)')
      .optional(),
  ),
  /**
   * Kafka consumer group of the ingress topic scanner.ingress.v1. `scanner-events` in production (the
   * principal may use only groups named with that prefix); a test gives its app a group of its own so
   * that only the messages it sends reach it.
   */
  SCANNER_INGRESS_CONSUMER_GROUP: unsetWhenEmpty(
    z.string().trim().max(200).regex(/^scanner-events[A-Za-z0-9._-]*$/, 'must start with scanner-events (letters, digits, ".", "_" or "-" after it)').default(SERVICE_NAME),
  ),
  /** How long an Idempotency-Key and its stored answer are kept, in hours (default 24). */
  SCANNER_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  /**
   * Bytes of a DICOM upload that are read (POST /dicom/instances). A Part 10 upload longer than this is
   * read up to here and the rest discarded; a DICOM JSON upload longer than this is refused (413).
   */
  DICOM_MAX_BYTES: z.coerce.number().int().min(4096).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** UTC offset (+HHMM) for DICOM dates and times that carry none (no offset in the DT, no (0008,0201)). */
  DICOM_DEFAULT_UTC_OFFSET: z.string().regex(/^[+-](0\d|1[0-4])[0-5]\d$/, 'must be +HHMM or -HHMM, e.g. +0100').default('+0000'),
}).superRefine((config, ctx) => {
  if (config.SCANNER_DEV_API_KEY && config.SLIDECHARGE_ENV !== 'development') {
    ctx.addIssue({ code: 'custom', path: ['SCANNER_DEV_API_KEY'], message: 'is a development key: it is refused unless SLIDECHARGE_ENV=development; make keys with POST /api-keys instead' });
  }
});

/** An empty variable (VAR= in a shell or compose file) means unset. */
function unsetWhenEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);
}

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
