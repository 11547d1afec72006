// Kafka clients of the benchmark, with the connection security the services use: the KAFKA_* settings
// of a principal (scripts/kafka.sh env <principal>, SASL_SSL with SCRAM-SHA-512 on the bundled broker)
// turned into kafkajs options by the one builder of them (libs/kafka-client), from a build output.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url).pathname;

// libs/kafka-client as the stack builds it (inside billing's output), else its own build.
const BUILDS = [
  'dist/services/billing/libs/kafka-client/src/kafka-connection.js',
  'dist/libs/kafka-client/libs/kafka-client/src/kafka-connection.js',
];

function kafkaClientLib() {
  const found = BUILDS.find((path) => existsSync(root + path));
  if (!found) throw new Error(`libs/kafka-client is not built (none of ${BUILDS.join(', ')}): npm run stack, or npx nx run kafka-client:build`);
  return require(root + found);
}

/**
 * The KAFKA_* settings of a principal: those of the environment when it names one (KAFKA_SASL_USERNAME),
 * else the bundled broker's for that principal (scripts/kafka.sh env).
 */
export function kafkaEnvOf(principal, brokers) {
  if (process.env.KAFKA_SASL_USERNAME) return pickKafkaEnv(process.env);
  const printed = execFileSync('bash', [root + 'scripts/kafka.sh', 'env', principal], {
    env: { ...process.env, KAFKA_PORT: brokers.split(':')[1] },
    encoding: 'utf8',
  });
  return Object.fromEntries(printed.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

const pickKafkaEnv = (env) => Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('KAFKA_')));

/** A kafkajs client from KAFKA_* settings, checked and built as the services do. */
export function kafkaFromEnv(env, clientId) {
  const { kafkaClientOptions, kafkaConnectionFromEnv } = kafkaClientLib();
  return new Kafka({ ...kafkaClientOptions(kafkaConnectionFromEnv(env)), clientId, logLevel: logLevel.NOTHING, connectionTimeout: 10_000 });
}

/** A kafkajs client connected as a principal. */
export const kafkaAs = (principal, brokers) => kafkaFromEnv(kafkaEnvOf(principal, brokers), `bench-${principal}`);
