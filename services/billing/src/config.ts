import { z } from 'zod';
import { DEFAULT_DIGITIZATION_POLICY, DigitizationPolicy } from '@slidecharge/billing-rules';
import { ScanPurpose } from '@slidecharge/contracts';
import { baseConfigSchema, loadConfig, portVariable } from '@slidecharge/service-kit';

export const BILLING_CONFIG = Symbol('BILLING_CONFIG');

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** A yes/no variable: true|false (also 1|0, yes|no, on|off, any case); unset or empty means the default. */
function booleanVariable(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      const word = (v ?? '').trim().toLowerCase();
      if (word === '') return defaultValue;
      if (TRUE_WORDS.includes(word)) return true;
      if (FALSE_WORDS.includes(word)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, not "${v}"` });
      return z.NEVER;
    });
}

export const billingConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3004),
  /** Charge a scan only after QC passed it (default true). */
  BILLING_REQUIRE_QC_PASS: booleanVariable(true),
  /** Comma-separated scan purposes that are billable (default diagnostic,consult). */
  BILLING_BILLABLE_PURPOSES: z
    .string()
    .optional()
    .transform((v) =>
      (v === undefined || v.trim() === '' ? 'diagnostic,consult' : v)
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(ScanPurpose).min(1, 'needs at least one purpose (diagnostic, consult, archive, education, conference)')),
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
});

export type BillingConfig = z.output<typeof billingConfigSchema>;

/** Validates the environment; throws ConfigError naming every missing or bad variable. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  return loadConfig(billingConfigSchema, env);
}

/** The digitization policy the configuration asks for, with the billing-rules add-on code table. */
export function digitizationPolicy(config: Pick<BillingConfig, 'BILLING_REQUIRE_QC_PASS' | 'BILLING_BILLABLE_PURPOSES'>): DigitizationPolicy {
  return {
    requireQcPass: config.BILLING_REQUIRE_QC_PASS,
    billablePurposes: [...new Set(config.BILLING_BILLABLE_PURPOSES)],
    addOnCodes: DEFAULT_DIGITIZATION_POLICY.addOnCodes,
  };
}
