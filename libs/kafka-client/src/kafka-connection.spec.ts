import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKafkaConnection, kafkaClientOptions, KafkaConnectionConfig, kafkaConnectionSchema, resolveKafkaConnection } from './kafka-connection';

const dir = mkdtempSync(join(tmpdir(), 'kafka-connection-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const passwordFile = file('billing.password', 's3cret-from-file\n');
const caFile = file('ca.pem', PEM);

const config = (env: Record<string, string>): KafkaConnectionConfig => kafkaConnectionSchema.parse({ KAFKA_BROKERS: '127.0.0.1:9192', ...env });
const problemsOf = (env: Record<string, string>, environment: 'development' | 'production' = 'development') => {
  const resolved = resolveKafkaConnection(config(env), environment);
  return resolved.ok ? [] : resolved.problems;
};

const secured = { KAFKA_SASL_USERNAME: 'billing', KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile };

describe('Kafka connection settings', () => {
  it('builds SCRAM-SHA-512 over TLS checked against the CA file, the password read from its file', () => {
    const resolved = resolveKafkaConnection(config(secured), 'production');
    if (!resolved.ok) throw new Error(resolved.problems.join('; '));
    expect(kafkaClientOptions(resolved.connection)).toEqual({
      brokers: ['127.0.0.1:9192'],
      sasl: { mechanism: 'scram-sha-512', username: 'billing', password: 's3cret-from-file' },
      ssl: { rejectUnauthorized: true, ca: [PEM] },
    });
  });

  it('uses the system trust store when TLS is on without a CA file, and another mechanism when named', () => {
    const resolved = resolveKafkaConnection(config({ KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD: 'pw', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_TLS: 'true' }), 'production');
    expect(resolved.ok && kafkaClientOptions(resolved.connection)).toEqual({
      brokers: ['127.0.0.1:9192'],
      sasl: { mechanism: 'scram-sha-256', username: 'qc', password: 'pw' },
      ssl: { rejectUnauthorized: true },
    });
  });

  it('allows an anonymous plaintext connection in development only', () => {
    const resolved = resolveKafkaConnection(config({}), 'development');
    expect(resolved.ok && kafkaClientOptions(resolved.connection)).toEqual({ brokers: ['127.0.0.1:9192'] });
    expect(problemsOf({}, 'production')).toEqual([
      expect.stringMatching(/^KAFKA_SASL_USERNAME .* is required when SLIDECHARGE_ENV=production/),
      expect.stringMatching(/^KAFKA_TLS must be true when SLIDECHARGE_ENV=production/),
    ]);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD: 'pw' }, 'production')).toEqual([expect.stringMatching(/^KAFKA_TLS must be true/)]);
  });

  it('names the variables of an incomplete or contradictory credential', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'qc' })).toEqual(['KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_USERNAME']);
    expect(problemsOf({ KAFKA_SASL_PASSWORD: 'pw' })).toEqual(['KAFKA_SASL_USERNAME is required when a Kafka password is given']);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD: 'pw', KAFKA_SASL_PASSWORD_FILE: passwordFile })).toEqual([
      'set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    ]);
    expect(problemsOf({ KAFKA_TLS_CA_FILE: caFile })).toEqual(['KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true']);
  });

  it('names a file that cannot be read, is empty or holds no certificate, without its content', () => {
    const missing = join(dir, 'nope.password');
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD_FILE: missing })).toEqual([`KAFKA_SASL_PASSWORD_FILE ${missing} cannot be read (ENOENT)`]);
    const empty = file('empty.password', '\n');
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'qc', KAFKA_SASL_PASSWORD_FILE: empty })).toEqual([`KAFKA_SASL_PASSWORD_FILE ${empty} is empty`]);
    const notPem = file('not.pem', 'hello');
    expect(problemsOf({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: notPem })).toEqual([`KAFKA_TLS_CA_FILE ${notPem} holds no PEM certificate`]);
  });

  it('treats blank variables as unset and refuses an unknown mechanism or TLS value', () => {
    expect(problemsOf({ ...secured, KAFKA_SASL_PASSWORD: ' ', KAFKA_SASL_MECHANISM: '' }, 'production')).toEqual([]);
    const parsed = kafkaConnectionSchema.safeParse({ KAFKA_BROKERS: 'h:9092', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_TLS: 'yes' });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['KAFKA_SASL_MECHANISM', 'KAFKA_TLS']);
  });

  it('describes a connection for the log without its password', () => {
    const resolved = resolveKafkaConnection(config(secured), 'production');
    if (!resolved.ok) throw new Error(resolved.problems.join('; '));
    const described = describeKafkaConnection(resolved.connection);
    expect(described).toEqual({ brokers: ['127.0.0.1:9192'], principal: 'billing', tls: true });
    expect(JSON.stringify(described)).not.toContain('s3cret');
  });
});
