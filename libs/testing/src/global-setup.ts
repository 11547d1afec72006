import { Kafka, logLevel } from 'kafkajs';
// jest loads globalSetup outside its module mapper, so these files (which import nothing of the
// workspace by alias) are imported by path here.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { topicSettings } from '../../contracts/src/kafka-access';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { kafkaClientOptions, kafkaConnectionFromEnv } from '../../kafka-client/src/kafka-connection';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createTopics } from '../../kafka-client/src/kafka-topics';
import { applyMigrations, resolveTestInfra } from './infra';

/**
 * jest globalSetup for integration and e2e suites: infra, migrations, topics (as the setup makes
 * them: scripts/kafka.sh start has already done so on its broker). Kafka is reached as the harness's
 * principal (KAFKA_SASL_*, KAFKA_TLS* of the environment: admin, exported by scripts/test.sh).
 */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveTestInfra();
  process.env['DATABASE_URL'] = infra.databaseUrl;
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  applyMigrations(infra.databaseUrl);
  const connection = kafkaConnectionFromEnv(process.env);
  const admin = new Kafka({ ...kafkaClientOptions(connection), clientId: 'test-setup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await createTopics(admin, topicSettings());
  } finally {
    await admin.disconnect();
  }
}
