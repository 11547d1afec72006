import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_TOPIC, TOPIC_PARTITIONS } from '@slidecharge/contracts';
import { deleteGroup, principalKafkaConnection, testEnv, testKafka } from '@slidecharge/testing';
import { createLogger, isAuthorizationFailure, KafkaBus } from '../src';

/**
 * KafkaBus.consumerLag against the secured broker, as the service principals themselves: a service may
 * read the lag of its own consumer group with the ACLs the topic table derives (READ on its groups
 * implies DESCRIBE), and a principal without them is refused with an authorization error (which the
 * lag monitor logs once and lives with).
 */
const { kafkaBrokers } = testEnv();
// A topic the qc principal may DESCRIBE (it writes dead letters) and that no service consumes, so the
// records this test writes to make sure there is a lag (a fresh broker has none) reach no consumer.
const TOPIC = DEAD_LETTER_TOPIC;
const group = `qc-lag-it-${randomUUID().slice(0, 8)}`;
const logger = createLogger('lag-it', 'warn');
const buses: KafkaBus[] = [];

const busAs = (principal: 'qc' | 'accession') => {
  const bus = new KafkaBus({ connection: principalKafkaConnection(principal), clientId: `lag-it-${principal}`, service: principal, logger });
  buses.push(bus);
  return bus;
};

/** The lag the group has by the harness's own reading: log end minus committed, summed over partitions. */
async function expectedLag(): Promise<number> {
  const admin = testKafka('lag-it-admin').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPIC);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((sum, e) => sum + Number(e.high) - (at.get(e.partition) ?? Number(e.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  // Two records per partition at least, whatever ran before (partition by explicit number).
  const producer = testKafka('lag-it-admin').producer();
  await producer.connect();
  try {
    const marker = JSON.stringify({ test: 'consumer-lag', group });
    await producer.send({ topic: TOPIC, messages: Array.from({ length: TOPIC_PARTITIONS }, (_, partition) => partition).flatMap((partition) => [0, 1].map(() => ({ partition, key: group, value: marker }))) });
  } finally {
    await producer.disconnect();
  }
  // The group has committed two messages short of the end of every partition.
  const admin = testKafka('lag-it-admin').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPIC);
    await admin.setOffsets({ groupId: group, topic: TOPIC, partitions: ends.map((e) => ({ partition: e.partition, offset: String(Math.max(Number(e.low), Number(e.high) - 2)) })) });
  } finally {
    await admin.disconnect();
  }
});

afterAll(async () => {
  for (const bus of buses) await bus.disconnect();
  await deleteGroup(kafkaBrokers, group);
});

describe('KafkaBus.consumerLag', () => {
  it("reads its own group's lag per topic as the service principal (log end - committed, summed over partitions)", async () => {
    const before = await expectedLag();
    const [reading] = await busAs('qc').consumerLag([{ group, topics: [TOPIC] }]);
    const after = await expectedLag();
    expect(reading?.group).toBe(group);
    expect(Object.keys(reading?.byTopic ?? {})).toEqual([TOPIC]);
    // Other suites may publish to the topic meanwhile: the reading lies between the two of the harness.
    expect(reading?.byTopic[TOPIC]).toBeGreaterThanOrEqual(before);
    expect(reading?.byTopic[TOPIC]).toBeLessThanOrEqual(after);
    expect(reading?.lag).toBe(reading?.byTopic[TOPIC]);
    expect(before).toBeGreaterThan(0);
  });

  it('a principal without rights on the group is refused with an authorization error', async () => {
    const error = await busAs('accession').consumerLag([{ group, topics: [TOPIC] }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthorizationFailure(error)).toBe(true);
  });
});
