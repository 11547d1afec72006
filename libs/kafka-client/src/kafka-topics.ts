import { Admin, ConfigResourceTypes } from 'kafkajs';

// This file imports nothing of the workspace at run time: jest's globalSetup (libs/testing) and
// scripts/kafka-setup.ts load it by path.

/** A topic as the setup creates it (see topicSettings in libs/contracts). */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Topic-level configuration such as retention.ms; empty = the broker's defaults. */
  config: Record<string, string>;
}

/** Errors of a broker that has not yet learnt of a new topic or of its partitions' leaders. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

const hasLeaders = (topics: { partitions: { leader: number }[] }[]) => topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));

/** Waits until every partition of the topics has a leader in the metadata the brokers give out. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (hasLeaders((await admin.fetchTopicMetadata({ topics })).topics)) return;
    } catch (e) {
      const type = (e as { type?: string }).type ?? (e as { cause?: { type?: string } }).cause?.type;
      if (!NOT_YET_KNOWN.has(type ?? '') || Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics without a leader ${timeoutMs} ms after they were created: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const entries = (config: Record<string, string>) => Object.entries(config).map(([name, value]) => ({ name, value }));

/**
 * Creates the topics that do not exist yet and sets the configuration of existing ones that name one
 * (it replaces their other dynamic settings: the table is the truth). Idempotent; needs a principal
 * allowed to create topics and alter their configuration (admin).
 * Returns the names of the topics it created.
 */
export async function createTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      // kafkajs' own wait gives up at the first "does not host this topic-partition", which a broker of a
      // cluster answers until the controllers' record of the new topic reaches it: waited for below.
      waitForLeaders: false,
      // replicationFactor -1: the broker's default.replication.factor (1 on a single node, 3 on a cluster).
      topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: -1, configEntries: entries(s.config) })),
    });
    await waitForLeaders(admin, missing.map((s) => s.topic));
  }
  const configured = specs.filter((s) => existing.has(s.topic) && Object.keys(s.config).length > 0);
  if (configured.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: configured.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configEntries: entries(s.config) })),
    });
  }
  return missing.map((s) => s.topic);
}
