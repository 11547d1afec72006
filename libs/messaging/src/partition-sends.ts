import type { Message, PartitionMetadata, ProducerBatch, RecordMetadata } from 'kafkajs';

/**
 * One producer request's worth of records: a single partition of a single topic, each record carrying
 * that partition explicitly.
 *
 * Why KafkaBus never hands kafkajs a batch that spans partitions (kafkajs 2.2.4, tulios/kafkajs#1303,
 * fix proposed in #1798, not released): sendMessages keeps one response per broker across its
 * retries. When the request to one broker fails (its partition's leader died) and the retry's metadata
 * names as the new leader a broker that already answered for another partition, that broker is skipped,
 * and send() resolves although the moved partition's records were never sent. The fault campaign on
 * the three-node cluster lost one charge record this way (docs/reliability.md). With one partition per
 * send, a failed request leaves no answered broker behind it: the retry goes to whichever broker leads
 * now.
 */
export interface PartitionSend {
  topic: string;
  partition: number;
  messages: Message[];
}

/** Picks a record's partition: kafkajs' DefaultPartitioner, the one the producer was made with. */
export type PartitionPicker = (args: { topic: string; partitionMetadata: PartitionMetadata[]; message: Message }) => number;

/**
 * Splits a batch into one send per (topic, partition), in the order the records came (the order
 * within a partition is the order kept on the topic). `partitionsOf` gives a topic's partitions as the
 * cluster reports them; the picker decides each record's partition from them, as the producer itself
 * would.
 */
export function partitionSends(batch: ProducerBatch, partitionsOf: (topic: string) => PartitionMetadata[], pick: PartitionPicker): PartitionSend[] {
  const sends = new Map<string, PartitionSend>();
  for (const { topic, messages } of batch.topicMessages ?? []) {
    const partitionMetadata = partitionsOf(topic);
    for (const message of messages) {
      const partition = message.partition ?? pick({ topic, partitionMetadata, message });
      const id = `${topic}\u0000${partition}`;
      const send = sends.get(id) ?? { topic, partition, messages: [] };
      send.messages.push({ ...message, partition });
      sends.set(id, send);
    }
  }
  return [...sends.values()];
}

/** Throws unless the broker's answer acknowledges the send's partition (what kafkajs#1303 loses silently). */
export function checkAcknowledged(send: PartitionSend, answer: readonly RecordMetadata[]): void {
  const acknowledged = answer.some((r) => r.topicName === send.topic && r.partition === send.partition && r.errorCode === 0);
  if (!acknowledged) {
    throw new Error(`Kafka did not acknowledge ${send.messages.length} record(s) for ${send.topic}[${send.partition}] although the send returned; they are sent again`);
  }
}
