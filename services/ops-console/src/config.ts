import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { FeeSchedule, parseFeeSchedule } from '@slidecharge/billing-rules';
import { baseConfigSchema, ConfigError, loadConfig, portVariable } from '@slidecharge/service-kit';

export const OPS_CONSOLE_CONFIG = Symbol('OPS_CONSOLE_CONFIG');

/** An empty variable (VAR= in a shell or compose file) counts as unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

/** A base URL of an owning service: http(s), no query, no trailing slash kept. */
const serviceUrl = (fallback: string) =>
  unsetWhenEmpty(
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://127.0.0.1:3004' })
      .refine((u) => !/[?#]/.test(u), 'must have no query or fragment')
      .transform((u) => u.replace(/\/+$/, ''))
      .default(fallback),
  );

/** Whether Intl knows the IANA time zone name (e.g. America/Chicago). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const opsConsoleConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3005),
  /** The consumer group of the read model (prefix ops-console: its Kafka principal may join only those). */
  OPS_CONSOLE_CONSUMER_GROUP: unsetWhenEmpty(z.string().trim().regex(/^ops-console[A-Za-z0-9._-]*$/, 'must start with ops-console').default('ops-console')),
  /** The owning services, reached with the caller's own token. */
  ACCESSION_URL: serviceUrl('http://127.0.0.1:3001'),
  SCANNER_EVENTS_URL: serviceUrl('http://127.0.0.1:3002'),
  QC_URL: serviceUrl('http://127.0.0.1:3003'),
  BILLING_URL: serviceUrl('http://127.0.0.1:3004'),
  /** How long one call to an owning service may take before its reading is unavailable. */
  OPS_CONSOLE_UPSTREAM_TIMEOUT_MS: unsetWhenEmpty(z.coerce.number({ error: 'must be a number' }).int().min(100).max(60_000).default(5000)),
  /** The lab's IANA time zone: "today" and "this week" start at its midnight (and Monday). */
  LAB_TIME_ZONE: unsetWhenEmpty(z.string().trim().refine(isTimeZone, 'must be an IANA time zone name, e.g. America/Chicago or UTC').default('UTC')),
  LAB_NAME: unsetWhenEmpty(z.string().trim().min(1).max(80).default('slidecharge lab')),
  /** The OIDC client the browser signs in with (a public client with PKCE at the identity provider). */
  OPS_CONSOLE_CLIENT_ID: unsetWhenEmpty(z.string().trim().min(1).max(128).default('ops-console')),
  /** The issuer as the browser reaches it, when it differs from OIDC_ISSUER (e.g. behind a proxy). */
  OPS_CONSOLE_PUBLIC_ISSUER: unsetWhenEmpty(z.url({ protocol: /^https?$/ }).optional()),
  /** The built web front end (npx nx run ops-console-web:build), relative to the working directory. */
  OPS_CONSOLE_WEB_ROOT: unsetWhenEmpty(z.string().trim().default('dist/services/ops-console-web')),
  /** A fee schedule JSON (ops/fee-schedule.example.json) for the estimated values; unset: no values. */
  OPS_CONSOLE_FEE_SCHEDULE_FILE: unsetWhenEmpty(z.string().trim().optional()),
});

export type OpsConsoleConfig = z.output<typeof opsConsoleConfigSchema> & { feeSchedule: FeeSchedule | null; webRoot: string };

export type FeeScheduleResult = { ok: true; schedule: FeeSchedule | null } | { ok: false; problems: string[] };

/** Reads and checks the fee schedule file (none named: no schedule, the value readings stay empty). */
export function loadFeeSchedule(file: string | undefined, cwd = process.cwd()): FeeScheduleResult {
  if (file === undefined) return { ok: true, schedule: null };
  const path = resolve(cwd, file);
  const where = `OPS_CONSOLE_FEE_SCHEDULE_FILE ${path}:`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ok: false, problems: [`${where} cannot be read as JSON (${(e as Error).message})`] };
  }
  const parsed = parseFeeSchedule(raw);
  return parsed.ok ? { ok: true, schedule: parsed.schedule } : { ok: false, problems: parsed.problems.map((p) => `${where} ${p}`) };
}

/** Validates the environment and the fee schedule together; throws ConfigError listing every problem. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): OpsConsoleConfig {
  const problems: string[] = [];
  let base: z.output<typeof opsConsoleConfigSchema> | undefined;
  try {
    base = loadConfig(opsConsoleConfigSchema, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  const file = opsConsoleConfigSchema.shape.OPS_CONSOLE_FEE_SCHEDULE_FILE.safeParse(env['OPS_CONSOLE_FEE_SCHEDULE_FILE']);
  const fees = file.success ? loadFeeSchedule(file.data, cwd) : undefined;
  if (fees && !fees.ok) problems.push(...fees.problems);
  if (problems.length > 0 || !base || !fees?.ok) throw new ConfigError(problems);
  return { ...base, feeSchedule: fees.schedule, webRoot: resolve(cwd, base.OPS_CONSOLE_WEB_ROOT) };
}
