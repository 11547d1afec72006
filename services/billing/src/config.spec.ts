import { ConfigError } from '@slidecharge/service-kit';
import { digitizationPolicy, loadServiceConfig } from './config';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092' };

function problems(env: Record<string, string>): string {
  try {
    loadServiceConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('billing configuration', () => {
  it('defaults: port 3004, QC pass required, diagnostic and consult billable, group billing', () => {
    const config = loadServiceConfig(base);
    expect(config.PORT).toBe(3004);
    expect(config.BILLING_REQUIRE_QC_PASS).toBe(true);
    expect(config.BILLING_BILLABLE_PURPOSES).toEqual(['diagnostic', 'consult']);
    expect(config.BILLING_CONSUMER_GROUP).toBe('billing');
    expect(config.BILLING_CONSUMERS).toBe(3);
  });

  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['1', true],
    ['', true],
  ])('BILLING_REQUIRE_QC_PASS=%s -> %s', (value, expected) => {
    expect(loadServiceConfig({ ...base, BILLING_REQUIRE_QC_PASS: value }).BILLING_REQUIRE_QC_PASS).toBe(expected);
  });

  it('reads billable purposes and a consumer group override', () => {
    const config = loadServiceConfig({ ...base, BILLING_BILLABLE_PURPOSES: ' diagnostic , consult,education ', BILLING_CONSUMER_GROUP: 'billing-test-1', BILLING_CONSUMERS: '1' });
    expect(config.BILLING_CONSUMERS).toBe(1);
    expect(config.BILLING_BILLABLE_PURPOSES).toEqual(['diagnostic', 'consult', 'education']);
    expect(config.BILLING_CONSUMER_GROUP).toBe('billing-test-1');
  });

  it('names every bad variable', () => {
    const text = problems({ KAFKA_BROKERS: base.KAFKA_BROKERS, BILLING_REQUIRE_QC_PASS: 'maybe', BILLING_BILLABLE_PURPOSES: 'diagnostic,teaching', BILLING_CONSUMER_GROUP: 'a b', BILLING_CONSUMERS: '0' });
    expect(text).toContain('DATABASE_URL is required');
    expect(text).toContain('BILLING_REQUIRE_QC_PASS must be true or false, not "maybe"');
    expect(text).toMatch(/BILLING_BILLABLE_PURPOSES\.1 /);
    expect(text).toMatch(/BILLING_CONSUMER_GROUP /);
    expect(text).toMatch(/BILLING_CONSUMERS /);
  });

  it('builds the digitization policy with the add-on code table', () => {
    const policy = digitizationPolicy(loadServiceConfig({ ...base, BILLING_REQUIRE_QC_PASS: 'false', BILLING_BILLABLE_PURPOSES: 'diagnostic,diagnostic' }));
    expect(policy.requireQcPass).toBe(false);
    expect(policy.billablePurposes).toEqual(['diagnostic']);
    expect(policy.addOnCodes.find((r) => r.primaryCode === '88305')?.addOnCode).toBe('0753T');
  });
});
