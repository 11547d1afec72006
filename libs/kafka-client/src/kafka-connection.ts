import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix';

// This file imports nothing of the workspace at run time: jest's globalSetup (libs/testing) and
// scripts/kafka-setup.ts load it by path.

export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** Where and as whom a client connects to Kafka. */
export interface KafkaConnection {
  brokers: string[];
  /** The principal's credential; absent = anonymous (development only). */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /** TLS to the brokers, checked against `ca` (a PEM bundle) or else the system's trust store; absent = plaintext (development only). */
  tls?: { ca?: string };
}

const unsetWhenBlank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(unsetWhenBlank, z.string().optional());

/** The KAFKA_* variables every service reads (part of service-kit's baseConfigSchema). */
export const kafkaConnectionShape = {
  KAFKA_BROKERS: z
    .string({ error: 'is required (e.g. 127.0.0.1:9092)' })
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.\-_]+:\d{2,5}$/, 'each broker must be host:port')).min(1, 'needs at least one host:port')),
  KAFKA_SASL_MECHANISM: z.preprocess(
    unsetWhenBlank,
    z.enum(KAFKA_SASL_MECHANISMS, { error: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }).default('scram-sha-512'),
  ),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_SASL_PASSWORD_FILE: optionalText,
  KAFKA_TLS: z
    .preprocess(unsetWhenBlank, z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'))
    .transform((v) => v === 'true'),
  KAFKA_TLS_CA_FILE: optionalText,
};

export const kafkaConnectionSchema = z.object(kafkaConnectionShape);
export type KafkaConnectionConfig = z.output<typeof kafkaConnectionSchema>;

/** production refuses anonymous and plaintext Kafka connections; development allows them. */
export type KafkaEnvironment = 'development' | 'production';

export type ResolvedKafkaConnection = { ok: true; connection: KafkaConnection } | { ok: false; problems: string[] };

interface Checked<T> {
  value: T | undefined;
  problems: string[];
}

/** Reads a file the configuration names; a problem names the variable and the path, never the content. */
function readNamedFile(variable: string, path: string): Checked<string> {
  try {
    return { value: readFileSync(path, 'utf8'), problems: [] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { value: undefined, problems: [`${variable} ${path} cannot be read (${code})`] };
  }
}

function readPassword(config: KafkaConnectionConfig): Checked<string> {
  const { KAFKA_SASL_PASSWORD: password, KAFKA_SASL_PASSWORD_FILE: file } = config;
  if (password !== undefined && file !== undefined) return { value: undefined, problems: ['set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both'] };
  if (file === undefined) return { value: password, problems: [] };
  const read = readNamedFile('KAFKA_SASL_PASSWORD_FILE', file);
  const value = read.value?.replace(/\r?\n$/, '');
  if (value === '') return { value: undefined, problems: [`KAFKA_SASL_PASSWORD_FILE ${file} is empty`] };
  return { value, problems: read.problems };
}

function readSasl(config: KafkaConnectionConfig): Checked<NonNullable<KafkaConnection['sasl']>> {
  const password = readPassword(config);
  const username = config.KAFKA_SASL_USERNAME;
  if (password.problems.length > 0) return { value: undefined, problems: password.problems };
  if (username === undefined && password.value === undefined) return { value: undefined, problems: [] };
  if (username === undefined) return { value: undefined, problems: ['KAFKA_SASL_USERNAME is required when a Kafka password is given'] };
  if (password.value === undefined) return { value: undefined, problems: ['KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_USERNAME'] };
  return { value: { mechanism: config.KAFKA_SASL_MECHANISM, username, password: password.value }, problems: [] };
}

function readTls(config: KafkaConnectionConfig): Checked<NonNullable<KafkaConnection['tls']>> {
  const file = config.KAFKA_TLS_CA_FILE;
  if (!config.KAFKA_TLS) {
    return { value: undefined, problems: file === undefined ? [] : ['KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true'] };
  }
  if (file === undefined) return { value: {}, problems: [] };
  const read = readNamedFile('KAFKA_TLS_CA_FILE', file);
  if (read.value !== undefined && !read.value.includes('-----BEGIN CERTIFICATE-----')) {
    return { value: undefined, problems: [`KAFKA_TLS_CA_FILE ${file} holds no PEM certificate`] };
  }
  return { value: read.value === undefined ? undefined : { ca: read.value }, problems: read.problems };
}

function productionProblems(config: KafkaConnectionConfig): string[] {
  const problems: string[] = [];
  if (config.KAFKA_SASL_USERNAME === undefined) {
    problems.push('KAFKA_SASL_USERNAME (with KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE) is required when SLIDECHARGE_ENV=production: Kafka clients must authenticate');
  }
  if (!config.KAFKA_TLS) problems.push('KAFKA_TLS must be true when SLIDECHARGE_ENV=production: Kafka traffic must be encrypted');
  return problems;
}

/**
 * Checks the Kafka variables together and reads the files they name (password, CA). In production
 * a connection without SASL or without TLS is refused; every problem names its variable.
 */
export function resolveKafkaConnection(config: KafkaConnectionConfig, environment: KafkaEnvironment): ResolvedKafkaConnection {
  const sasl = readSasl(config);
  const tls = readTls(config);
  const problems = [...(environment === 'production' ? productionProblems(config) : []), ...sasl.problems, ...tls.problems];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    connection: { brokers: config.KAFKA_BROKERS, ...(sasl.value ? { sasl: sasl.value } : {}), ...(tls.value ? { tls: tls.value } : {}) },
  };
}

/**
 * The Kafka connection from KAFKA_* environment variables, checked as the services check theirs: for
 * tests, the test harness and scripts. Throws an Error listing the problems.
 */
export function kafkaConnectionFromEnv(env: NodeJS.ProcessEnv = process.env, environment: KafkaEnvironment = 'development'): KafkaConnection {
  const parsed = kafkaConnectionSchema.safeParse(env);
  const resolved: ResolvedKafkaConnection = parsed.success
    ? resolveKafkaConnection(parsed.data, environment)
    : { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`) };
  if (!resolved.ok) throw new Error(`Kafka settings:\n${resolved.problems.map((p) => `  - ${p}`).join('\n')}`);
  return resolved.connection;
}

function saslOptions(sasl: NonNullable<KafkaConnection['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'plain':
      return { mechanism: 'plain', username, password };
  }
}

/**
 * The kafkajs client options of a connection: the one place they are made, for the services'
 * KafkaBus, the test harness and the setup script. The broker's certificate is always verified.
 * Puts the fix of kafkajs's idle timer loop in place first (kafkajs-idle-loop-fix.ts).
 */
export function kafkaClientOptions(connection: KafkaConnection): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  fixKafkajsIdleLoop();
  const { tls, sasl } = connection;
  return {
    brokers: connection.brokers,
    ...(tls ? { ssl: { rejectUnauthorized: true, ...(tls.ca !== undefined ? { ca: [tls.ca] } : {}) } } : {}),
    ...(sasl ? { sasl: saslOptions(sasl) } : {}),
  };
}

/** What a log line may say about a connection: never the password. */
export function describeKafkaConnection(connection: KafkaConnection): { brokers: string[]; principal: string; tls: boolean } {
  return { brokers: connection.brokers, principal: connection.sasl?.username ?? 'anonymous', tls: connection.tls !== undefined };
}
