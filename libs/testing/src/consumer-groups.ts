import { harnessKafkaConnection, testKafka } from './kafka';

/** A client of the harness's principal on the given brokers. */
const harnessOn = (brokers: string) => testKafka('test-setup', { ...harnessKafkaConnection(), brokers: brokers.split(',') });

/**
 * Commits the current end of the input topics as the group's offsets, so a fresh consumer group reads
 * only what is published afterwards (the topics are shared with every other test).
 */
export async function startGroupAtEnd(brokers: string, groupId: string, topics: readonly string[]): Promise<void> {
  const kafka = harnessOn(brokers);
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId });
  await admin.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) offsets.push({ topic, partition: p.partition, offset: p.high });
    }
    await consumer.commitOffsets(offsets);
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
}

export async function deleteGroup(brokers: string, groupId: string): Promise<void> {
  const admin = harnessOn(brokers).admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}
