/**
 * Consumer lag: messages on a group's topics not yet consumed by it. Pure arithmetic over the offsets
 * the Kafka admin API returns (KafkaBus.consumerLag reads them); strings as kafkajs gives them.
 */

/** The log end (high watermark) and log start of one partition. */
export interface PartitionEnds {
  partition: number;
  high: string;
  low: string;
}

/** The offset a group committed on one partition; '-1' when it committed none. */
export interface CommittedOffset {
  partition: number;
  offset: string;
}

export interface GroupLag {
  group: string;
  /** Sum over the partitions of the group's topics. */
  lag: number;
  byTopic: Record<string, number>;
}

/**
 * Lag of one partition: log end offset - committed offset. A partition the group never committed on
 * counts from the log start (slidecharge's consumers start from the beginning); never below zero.
 */
export function partitionLag(ends: PartitionEnds, committed: string | undefined): number {
  const high = Number(ends.high);
  const start = committed === undefined || Number(committed) < 0 ? Number(ends.low) : Number(committed);
  return Math.max(0, high - start);
}

/** A group's lag over its topics, from the topics' partition ends and the group's committed offsets. */
export function groupLag(group: string, ends: Record<string, readonly PartitionEnds[]>, committed: Record<string, readonly CommittedOffset[]>): GroupLag {
  const byTopic: Record<string, number> = {};
  for (const [topic, partitions] of Object.entries(ends)) {
    const offsets = new Map((committed[topic] ?? []).map((c) => [c.partition, c.offset]));
    byTopic[topic] = partitions.reduce((sum, p) => sum + partitionLag(p, offsets.get(p.partition)), 0);
  }
  return { group, lag: Object.values(byTopic).reduce((a, b) => a + b, 0), byTopic };
}
