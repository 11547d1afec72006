import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaPrincipal } from '@slidecharge/contracts';
import { KafkaConnection, kafkaClientOptions, kafkaConnectionFromEnv, kafkaConnectionShape } from '@slidecharge/kafka-client';
import { WORKSPACE_ROOT } from './infra';

/** The Kafka variables a service reads (libs/kafka-client/src/kafka-connection.ts). */
const KAFKA_VARIABLES = Object.keys(kafkaConnectionShape);

/**
 * The test harness's own KAFKA_* settings, as scripts/test.sh exports them (the admin principal
 * of scripts/kafka.sh), for tests that build a service's configuration: loadServiceConfig({ ...harnessKafkaEnv(), ... }).
 */
export function harnessKafkaEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of KAFKA_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The harness's connection (brokers and credential) from the environment. */
export function harnessKafkaConnection(): KafkaConnection {
  return kafkaConnectionFromEnv(harnessKafkaEnv());
}

/** A kafkajs client for test code: the harness's principal unless another connection is given. */
export function testKafka(clientId: string, connection: KafkaConnection = harnessKafkaConnection()): Kafka {
  return new Kafka({ ...kafkaClientOptions(connection), clientId, logLevel: logLevel.NOTHING });
}

/**
 * The KAFKA_* settings of one principal (a service or an external system), so that a test runs it
 * with its own credential and the broker's ACLs decide what it may do. They come from
 * `scripts/kafka.sh env <principal>` (a password file path, never the password itself). Against an
 * unsecured broker (the harness has no KAFKA_SASL_USERNAME) every principal connects as the harness does.
 */
export function principalKafkaEnv(principal: KafkaPrincipal): Record<string, string> {
  const harness = harnessKafkaEnv();
  if (harness['KAFKA_SASL_USERNAME'] === undefined) return harness;
  const first = (harness['KAFKA_BROKERS'] ?? '').split(',')[0] ?? '';
  const [host, port] = first.trim().split(':');
  if ((host !== '127.0.0.1' && host !== 'localhost') || !port) {
    throw new Error(`principal settings come from scripts/kafka.sh env, which runs brokers on 127.0.0.1 only; KAFKA_BROKERS is ${harness['KAFKA_BROKERS']}`);
  }
  const printed = execFileSync('bash', [join(WORKSPACE_ROOT, 'scripts/kafka.sh'), 'env', principal], {
    env: { ...process.env, KAFKA_PORT: port },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const env: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const match = /^(KAFKA_[A-Z_]+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

/** One principal's connection, for a test client that acts as that principal. */
export function principalKafkaConnection(principal: KafkaPrincipal): KafkaConnection {
  return kafkaConnectionFromEnv(principalKafkaEnv(principal));
}
