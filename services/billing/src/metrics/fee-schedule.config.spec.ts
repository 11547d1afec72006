import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from '../config';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'billing-fees-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadServiceConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('SLIDECHARGE_FEE_SCHEDULE_FILE', () => {
  it('unset or empty: no fee schedule', () => {
    expect(loadServiceConfig(base).SLIDECHARGE_FEE_SCHEDULE_FILE).toBeUndefined();
    expect(loadServiceConfig({ ...base, SLIDECHARGE_FEE_SCHEDULE_FILE: ' ' }).SLIDECHARGE_FEE_SCHEDULE_FILE).toBeUndefined();
  });

  it('reads the example schedule of ops/', () => {
    const config = loadServiceConfig({ ...base, SLIDECHARGE_FEE_SCHEDULE_FILE: join(__dirname, '../../../../ops/fee-schedule.example.json') });
    expect(config.SLIDECHARGE_FEE_SCHEDULE_FILE?.schedule.codes['0753T']).toEqual({ default: 2400, payers: { MEDICARE: 2210 } });
  });

  it('a bad file stops billing with every problem, naming the variable and the file', () => {
    const bad = file('bad.json', JSON.stringify({ currency: 'dollars', codes: { '0753T': { default: 24.5 } } }));
    const problems = problemsOf({ ...base, SLIDECHARGE_FEE_SCHEDULE_FILE: bad });
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^SLIDECHARGE_FEE_SCHEDULE_FILE is .*bad\\.json, which is wrong: currency must be an ISO 4217 code`)),
      expect.stringMatching(/SLIDECHARGE_FEE_SCHEDULE_FILE is .*bad\.json, which is wrong: codes\.0753T\.default must be whole cents/),
    ]);
  });

  it('a file that is not JSON, or missing, is named with the reason', () => {
    expect(problemsOf({ ...base, SLIDECHARGE_FEE_SCHEDULE_FILE: file('broken.json', '{ "currency": ') })).toEqual([expect.stringMatching(/broken\.json, which is not valid JSON/)]);
    expect(problemsOf({ ...base, SLIDECHARGE_FEE_SCHEDULE_FILE: join(dir, 'absent.json') })).toEqual([expect.stringMatching(/absent\.json, which cannot be read/)]);
  });
});
