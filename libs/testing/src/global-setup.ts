import { Kafka, logLevel } from 'kafkajs';
// jest loads globalSetup outside its module mapper, so the contracts lib is imported by path here.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TOPIC_NAMES } from '../../contracts/src/topics';
import { applyMigrations, resolveTestInfra } from './infra';

/** jest globalSetup for integration and e2e suites: infra, migrations, topics. */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveTestInfra();
  process.env['DATABASE_URL'] = infra.databaseUrl;
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  applyMigrations(infra.databaseUrl);
  const admin = new Kafka({ clientId: 'test-setup', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const missing = TOPIC_NAMES.filter((t) => !existing.has(t));
  if (missing.length) {
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })) });
  }
  await admin.disconnect();
}
