import { ConfigError } from '@slidecharge/service-kit';
import { loadServiceConfig } from './config';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/slidecharge', KAFKA_BROKERS: '127.0.0.1:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'https://sso.hospital.org/realms/lab' };

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
  it('defaults: port 3004, group billing, 3 consumers', () => {
    const config = loadServiceConfig(base);
    expect(config.PORT).toBe(3004);
    expect(config.BILLING_CONSUMER_GROUP).toBe('billing');
    expect(config.BILLING_CONSUMERS).toBe(3);
  });

  it('reads a consumer group override and the number of consumers', () => {
    const config = loadServiceConfig({ ...base, BILLING_CONSUMER_GROUP: 'billing-test-1', BILLING_CONSUMERS: '1' });
    expect(config.BILLING_CONSUMERS).toBe(1);
    expect(config.BILLING_CONSUMER_GROUP).toBe('billing-test-1');
  });

  it('names every bad variable', () => {
    const text = problems({ KAFKA_BROKERS: base.KAFKA_BROKERS, BILLING_CONSUMER_GROUP: 'a b', BILLING_CONSUMERS: '0' });
    expect(text).toContain('DATABASE_URL is required');
    expect(text).toMatch(/BILLING_CONSUMER_GROUP /);
    expect(text).toMatch(/BILLING_CONSUMERS /);
  });

  it('refuses the retired QC and purpose variables, pointing to the policy set that replaced them', () => {
    const text = problems({ ...base, BILLING_REQUIRE_QC_PASS: 'false', BILLING_BILLABLE_PURPOSES: 'diagnostic' });
    expect(text).toContain('BILLING_REQUIRE_QC_PASS is no longer read: requireQcPass is part of the payer policy set');
    expect(text).toContain('BILLING_BILLABLE_PURPOSES is no longer read: billablePurposes is part of the payer policy set');
  });
});
