import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig, portVariable } from '@slidecharge/service-kit';
import { DEFAULT_QC_RULES, QcRuleSet, validateQcRuleSet } from '@slidecharge/qc-rules';

export const QC_CONFIG = Symbol('QC_CONFIG');

export const qcConfigSchema = baseConfigSchema.extend({
  PORT: portVariable(3003),
  /** Path to a JSON rule set (see services/qc/qc-rules.example.json); unset or empty means DEFAULT_QC_RULES. */
  QC_RULES_FILE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().optional()),
  /**
   * Kafka consumer group of the scan events, also the name they are recorded under in consumed_event.
   * `qc` in production (the principal may use only groups named with that prefix); a test gives its app
   * a group of its own so that only the events it sends reach it.
   */
  QC_CONSUMER_GROUP: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().max(200).regex(/^qc[A-Za-z0-9._-]*$/, 'must start with qc (letters, digits, ".", "_" or "-" after it)').default('qc'),
  ),
});

/** Where the rule set in force came from. */
export type QcRulesSource = { kind: 'default' } | { kind: 'file'; path: string };

export interface LoadedQcRules {
  rules: QcRuleSet;
  source: QcRulesSource;
}

export type QcConfig = z.output<typeof qcConfigSchema> & { qc: LoadedQcRules };

export type QcRulesResult = ({ ok: true } & LoadedQcRules) | { ok: false; problems: string[] };

/**
 * Reads and checks the QC rule set: the JSON file named by QC_RULES_FILE, or DEFAULT_QC_RULES when
 * none is named. Every problem names the variable and the file, so a bad file stops the service
 * with a message an operator can act on.
 */
export function loadQcRules(file: string | undefined, cwd = process.cwd()): QcRulesResult {
  if (file === undefined) return { ok: true, rules: { ...DEFAULT_QC_RULES }, source: { kind: 'default' } };
  const path = resolve(cwd, file);
  const where = `QC_RULES_FILE ${path}:`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, problems: [`${where} cannot be read (${(e as Error).message})`] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [`${where} is not valid JSON (${(e as Error).message})`] };
  }
  const checked = validateQcRuleSet(raw);
  if (!checked.ok) return { ok: false, problems: checked.problems.map((p) => `${where} ${p}`) };
  return { ok: true, rules: checked.rules, source: { kind: 'file', path } };
}

/** Validates the environment and the rule set together; throws ConfigError listing every problem. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): QcConfig {
  const problems: string[] = [];
  let base: z.output<typeof qcConfigSchema> | undefined;
  try {
    base = loadConfig(qcConfigSchema, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  // The rule set is checked even when other variables are wrong, so one start reports every problem.
  const file = qcConfigSchema.shape.QC_RULES_FILE.safeParse(env['QC_RULES_FILE']);
  const rules = file.success ? loadQcRules(file.data, cwd) : undefined;
  if (rules && !rules.ok) problems.push(...rules.problems);
  if (problems.length > 0 || !base || !rules?.ok) throw new ConfigError(problems);
  return { ...base, qc: { rules: rules.rules, source: rules.source } };
}
