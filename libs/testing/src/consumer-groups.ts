import { harnessKafkaConnection, testKafka } from './kafka';
import { eventually } from './topic-reader';

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

/**
 * A barrier: waits until the group has committed, on every partition of `topics`, the end offset the
 * partition had when this was called, so everything published before the call has been handled (the
 * services commit an offset only after its message's transaction).
 */
export async function waitForGroupCaughtUp(brokers: string, groupId: string, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const admin = harnessOn(brokers).admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
    await eventually(
      async () => {
        const committed = new Map<string, bigint>();
        for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
          for (const p of t.partitions) committed.set(`${t.topic}/${p.partition}`, BigInt(p.offset));
        }
        return [...ends].every(([partition, end]) => (committed.get(partition) ?? -1n) >= end) ? true : undefined;
      },
      timeoutMs,
      `consumer group ${groupId} to reach the end of ${topics.join(', ')}`,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Each group's lag as Kafka's own offsets give it, read with the admin API: per partition of the
 * group's topics, log end offset minus the committed offset (from the log start where the group
 * committed none), summed. For comparing a number the product shows with the broker's.
 */
export async function groupLagsFromBroker(brokers: string, groups: readonly { group: string; topics: readonly string[] }[]): Promise<Record<string, number>> {
  const admin = harnessOn(brokers).admin();
  await admin.connect();
  try {
    const lags: Record<string, number> = {};
    for (const { group, topics } of groups) {
      let lag = 0;
      for (const topic of topics) {
        const committed = new Map<number, bigint>();
        for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) for (const p of t.partitions) committed.set(p.partition, BigInt(p.offset));
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const from = (committed.get(p.partition) ?? -1n) < 0n ? BigInt(p.low) : (committed.get(p.partition) as bigint);
          lag += Number(BigInt(p.high) > from ? BigInt(p.high) - from : 0n);
        }
      }
      lags[group] = lag;
    }
    return lags;
  } finally {
    await admin.disconnect();
  }
}
