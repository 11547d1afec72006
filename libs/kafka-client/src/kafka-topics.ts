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
      waitForLeaders: true,
      topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: -1, configEntries: entries(s.config) })),
    });
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
