import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@slidecharge/service-kit';
import { DEFAULT_QC_RULES } from '@slidecharge/qc-rules';
import { loadQcRules, loadServiceConfig } from './config';

const baseEnv = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qc-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadServiceConfig(env, dir);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadServiceConfig', () => {
  it('uses port 3003 and the default rule set when QC_RULES_FILE is not set', () => {
    const config = loadServiceConfig(baseEnv, dir);
    expect(config.PORT).toBe(3003);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.QC_RULES_FILE).toBeUndefined();
    expect(config.qc).toEqual({ rules: DEFAULT_QC_RULES, source: { kind: 'default' } });
  });

  it('treats an empty QC_RULES_FILE as not set, and PORT overrides the default', () => {
    const config = loadServiceConfig({ ...baseEnv, QC_RULES_FILE: '  ', PORT: '4100' }, dir);
    expect(config.PORT).toBe(4100);
    expect(config.qc.source).toEqual({ kind: 'default' });
  });

  it('loads the rule set from QC_RULES_FILE, resolving a relative path', () => {
    const rules = { ...DEFAULT_QC_RULES, version: 'lab-2026.7', minFocusScore: 0.85, missingMetric: 'fail' };
    const path = file('rules.json', JSON.stringify(rules));
    const config = loadServiceConfig({ ...baseEnv, QC_RULES_FILE: 'rules.json' }, dir);
    expect(config.qc).toEqual({ rules, source: { kind: 'file', path } });
  });

  it('stops on a rule set that breaks the rules, naming the variable, the file and each problem', () => {
    const path = file('bad.json', JSON.stringify({ ...DEFAULT_QC_RULES, minFocusScore: 1.5, minFocusscore: 0.8 }));
    expect(problemsOf({ ...baseEnv, QC_RULES_FILE: path })).toEqual([
      `QC_RULES_FILE ${path}: minFocusscore: unknown field`,
      `QC_RULES_FILE ${path}: minFocusScore: must be a number between 0 and 1, got 1.5`,
    ]);
  });

  it('stops on a file that is not JSON', () => {
    const path = file('broken.json', '{ "version": "qc-1", ');
    const problems = problemsOf({ ...baseEnv, QC_RULES_FILE: path });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^QC_RULES_FILE ${path}: is not valid JSON \\(.+\\)$`));
  });

  it('stops on a file that does not exist', () => {
    const problems = problemsOf({ ...baseEnv, QC_RULES_FILE: 'missing.json' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`QC_RULES_FILE ${join(dir, 'missing.json')}: cannot be read (ENOENT`);
  });

  it('reports a bad rule set together with missing variables, in one error', () => {
    const path = file('array.json', '[]');
    const problems = problemsOf({ QC_RULES_FILE: path });
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL /),
      expect.stringMatching(/^KAFKA_BROKERS /),
      expect.stringMatching(/^OIDC_ISSUER /),
      `QC_RULES_FILE ${path}: rule set must be an object, got an array`,
    ]);
  });

  it('says which variable is missing in the error message', () => {
    expect(() => loadServiceConfig({ KAFKA_BROKERS: '127.0.0.1:9092' }, dir)).toThrow(/DATABASE_URL is required/);
  });

  it('takes a consumer group under the principal\'s prefix only, qc by default', () => {
    expect(loadServiceConfig(baseEnv, dir).QC_CONSUMER_GROUP).toBe('qc');
    expect(loadServiceConfig({ ...baseEnv, QC_CONSUMER_GROUP: ' qc-it-1 ' }, dir).QC_CONSUMER_GROUP).toBe('qc-it-1');
    expect(loadServiceConfig({ ...baseEnv, QC_CONSUMER_GROUP: '' }, dir).QC_CONSUMER_GROUP).toBe('qc');
    expect(problemsOf({ ...baseEnv, QC_CONSUMER_GROUP: 'billing' }).join('\n')).toContain('QC_CONSUMER_GROUP must start with qc');
  });
});

describe('loadQcRules', () => {
  it('returns a copy of the defaults, not the frozen object itself', () => {
    const result = loadQcRules(undefined);
    expect(result.ok && result.rules).toEqual(DEFAULT_QC_RULES);
    expect(result.ok && result.rules).not.toBe(DEFAULT_QC_RULES);
  });

  it('accepts the shipped example, which holds the defaults', () => {
    const result = loadQcRules(join(__dirname, '../qc-rules.example.json'));
    expect(result).toEqual({ ok: true, rules: DEFAULT_QC_RULES, source: { kind: 'file', path: join(__dirname, '../qc-rules.example.json') } });
  });
});
