import { z } from 'zod';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';
import { checkDeliveryConfig, deliveryConfigShape } from './delivery/delivery.config';
import { fhirConfigShape } from './fhir/fhir.config';
import { feeScheduleConfigShape } from './metrics/fee-schedule.config';

export const BILLING_CONFIG = Symbol('BILLING_CONFIG');

/** A variable billing no longer reads: refused, so that nobody believes it still applies. */
function retired(replacement: string) {
  return z.undefined({ error: `is no longer read: ${replacement}` }).optional();
}

export const billingConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3004),
  BILLING_REQUIRE_QC_PASS: retired('requireQcPass is part of the payer policy set (GET/POST /policy-sets); unset it'),
  BILLING_BILLABLE_PURPOSES: retired('billablePurposes is part of the payer policy set (GET/POST /policy-sets); unset it'),
  /**
   * Kafka consumer group of the billing consumer. Always `billing` in production; a test that runs
   * billing as a separate process gives it its own group so that only its own events reach it.
   */
  BILLING_CONSUMER_GROUP: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'billing' : v.trim()))
    .pipe(z.string().max(200).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"')),
  /**
   * Members of the consumer group this process runs (default 3, the partitions per topic): partitions
   * are handled in parallel. Handlers serialize on advisory locks per slide and case, so any number is safe.
   */
  BILLING_CONSUMERS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(32).default(3),
  /**
   * Group commit (libs/messaging GroupCommit): the batches of the partitions that wait at the same time
   * are applied in one transaction of at most this many events, one transaction at a time in this
   * process. A case whose scans and verdicts come on several partitions is then locked and decided once
   * for all of them instead of once per partition. 0: each partition's batch in its own transaction.
   */
  BILLING_GROUP_COMMIT_EVENTS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(10_000).default(1000),
  /**
   * The large cases' facts kept in memory between the transactions that decide them
   * (src/charging/case-facts-cache.ts): at most this many slides together (about 1 KB of heap each, with
   * their scans and verdicts: the default is two 2,000-slide cases); 0: every decision reads its case
   * from the database.
   */
  BILLING_CASE_CACHE_SLIDES: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(1_000_000).default(4_000),
  /** Only a case of at least this many slides is kept in memory (a small case costs little to read). */
  BILLING_CASE_CACHE_MIN_SLIDES: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(100_000).default(100),
  /** DFT^P03 delivery to the billing system over MLLP (issue #4): BILLING_DFT_*, see src/delivery/delivery.config.ts. */
  ...deliveryConfigShape,
  /** The FHIR API's canonical base and SMART endpoints: FHIR_*, see src/fhir/fhir.config.ts. */
  ...fhirConfigShape,
  /** The fee schedule of the held-value metric: SLIDECHARGE_FEE_SCHEDULE_FILE, see src/metrics/fee-schedule.config.ts. */
  ...feeScheduleConfigShape,
})
  .superRefine(checkDeliveryConfig);

export type BillingConfig = z.output<typeof billingConfigSchema>;

/** Validates the environment; throws ConfigError naming every missing or bad variable. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  return loadConfig(billingConfigSchema, env);
}
