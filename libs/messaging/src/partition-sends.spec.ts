import { PartitionMetadata, Partitioners } from 'kafkajs';
import { checkAcknowledged, partitionSends } from './partition-sends';

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));

describe('partitionSends (one send per topic partition, kafkajs#1303)', () => {
  it('places each keyed record where the producer\'s DefaultPartitioner would, one send per partition, order kept', () => {
    const pick = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 40 }, (_, i) => `S26-${1000 + i}`);
    const sends = partitionSends(
      { acks: -1, topicMessages: [{ topic: 'billing.charges.v1', messages: keys.map((key, i) => ({ key, value: String(i) })) }] },
      () => partitions(3),
      pick,
    );
    const reference = Partitioners.DefaultPartitioner();
    expect(new Set(sends.map((s) => s.partition))).toEqual(new Set([0, 1, 2]));
    for (const send of sends) {
      for (const m of send.messages) {
        expect(m.partition).toBe(send.partition);
        expect(reference({ topic: send.topic, partitionMetadata: partitions(3), message: { key: m.key, value: m.value } })).toBe(send.partition);
      }
      const values = send.messages.map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(sends.flatMap((s) => s.messages).length).toBe(40);
  });

  it('keeps topics apart, and a partition the caller chose', () => {
    const sends = partitionSends(
      {
        topicMessages: [
          { topic: 'a', messages: [{ key: 'k', value: '1', partition: 2 }] },
          { topic: 'b', messages: [{ key: 'k', value: '2', partition: 2 }, { key: 'k', value: '3', partition: 0 }] },
        ],
      },
      () => partitions(3),
      () => {
        throw new Error('not asked: every record names its partition');
      },
    );
    expect(sends.map((s) => [s.topic, s.partition, s.messages.map((m) => m.value)])).toEqual([
      ['a', 2, ['1']],
      ['b', 2, ['2']],
      ['b', 0, ['3']],
    ]);
  });
});

describe('checkAcknowledged', () => {
  const send = { topic: 'billing.charges.v1', partition: 1, messages: [{ key: 'k', value: 'v', partition: 1 }] };

  it('passes when the answer acknowledges the partition', () => {
    expect(() => checkAcknowledged(send, [{ topicName: 'billing.charges.v1', partition: 1, errorCode: 0, baseOffset: '7' }])).not.toThrow();
  });

  it('throws when the answer holds only other partitions (what kafkajs resolves with after a leader moved to a broker that had answered)', () => {
    expect(() => checkAcknowledged(send, [{ topicName: 'billing.charges.v1', partition: 2, errorCode: 0, baseOffset: '7' }])).toThrow(/did not acknowledge 1 record\(s\) for billing.charges.v1\[1\]/);
    expect(() => checkAcknowledged(send, [])).toThrow(/did not acknowledge/);
  });
});
