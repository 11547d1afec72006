import { randomUUID } from 'node:crypto';
import { Consumer, PartitionAssigners } from 'kafkajs';
import { Pool } from 'pg';
import { eventually, startGroupAtEnd, testEnv, testKafka } from '@slidecharge/testing';
import { createLogger, KafkaBus, metricsRegistry, SqlDeadLetterStore } from '../src';
import { createServiceLikeSchema, executor, testCredit, transactionOn } from './support';

/**
 * A consumer that kafkajs leaves stopped (a crash with restart: false) is restarted by the bus, with
 * backoff, counted, and its status says why it is down meanwhile. The non-retriable error is a real
 * one from the broker: INCONSISTENT_GROUP_PROTOCOL, answered to a member joining a group whose
 * members all use another partition assignor (here a blocker the test holds, then lets go).
 */
const TOPIC = 'billing.charges.v1';
const schema = 'messaging_consumer_restart';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const blockerKafka = testKafka('messaging-test-blocker');

let bus: KafkaBus;

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  bus = new KafkaBus({
    connection: kafka,
    clientId: 'messaging-consumer-restart',
    service: 'messaging-test',
    logger: createLogger('messaging-test', 'fatal'),
    deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) },
  });
  await bus.connect();
});

afterAll(async () => {
  await bus.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** A member of `groupId` whose assignor no other member speaks: it holds the group until disconnected. */
async function holdGroup(groupId: string): Promise<Consumer> {
  const blocker = blockerKafka.consumer({
    groupId,
    partitionAssigners: [(config) => ({ ...PartitionAssigners.roundRobin(config), name: 'SlidechargeTestBlocker' })],
  });
  await blocker.connect();
  await blocker.subscribe({ topics: [TOPIC] });
  const joined = new Promise<void>((resolve) => blocker.on(blocker.events.GROUP_JOIN, () => resolve()));
  await blocker.run({ eachMessage: async () => undefined });
  await joined;
  return blocker;
}

const restartsCounted = async (groupId: string) => {
  const metric = await metricsRegistry.getSingleMetric('slidecharge_consumer_restarts_total')?.get();
  return metric?.values.find((v) => v.labels['group'] === groupId && v.labels['by'] === 'bus')?.value ?? 0;
};

it('restarts a consumer stopped by a non-retriable error, says why while it is down, and then consumes', async () => {
  const groupId = `messaging-restart-${randomUUID()}`;
  await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
  const blocker = await holdGroup(groupId);
  const handled: string[] = [];
  const handle = await bus.consume({
    groupId,
    topics: [TOPIC],
    inbox: { schema, consumer: groupId, transaction: transactionOn(pool) },
    handler: async (_tx, messages) => {
      handled.push(...messages.map((m) => m.value.eventId));
      return { outgoing: [] };
    },
  });
  try {
    expect(handle.isRunning()).toBe(false);
    expect(handle.status().reason).toMatch(/^crashed: KafkaJSProtocolError INCONSISTENT_GROUP_PROTOCOL: /);
    await eventually(async () => (handle.status().restarts >= 1 ? true : undefined), 15_000, 'a restart by the bus');
    expect(await restartsCounted(groupId)).toBeGreaterThanOrEqual(1);
    expect(handle.isRunning()).toBe(false); // the blocker still holds the group

    await blocker.disconnect();
    await eventually(async () => (handle.isRunning() ? true : undefined), 30_000, 'the consumer running again');
    expect(handle.status().reason).toBeUndefined();

    const canary = randomUUID();
    const producer = blockerKafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: `S26-${canary}`, value: JSON.stringify(creditEvent(canary)) }] });
    await producer.disconnect();
    await eventually(async () => (handled.includes(canary) ? true : undefined), 30_000, 'the canary handled');
  } finally {
    await blocker.disconnect();
    await handle.stop();
  }
}, 90_000);

/** A valid charge.credited event with the given event id. */
function creditEvent(eventId: string) {
  return { ...testCredit(`S26-${eventId}`, 'AETNA', 'canary', 'MRN-TEST').value, eventId, correlationId: `c-${eventId}` };
}
