import { randomUUID } from 'node:crypto';
import { Admin, ConfigResourceTypes, Kafka, logLevel, PartitionMetadata, Partitioners, Producer } from 'kafkajs';
import type { KafkaPrincipal } from '@slidecharge/contracts';
import { kafkaClientOptions } from '@slidecharge/kafka-client';
import { eventually, LocalKafkaCluster } from '@slidecharge/testing';
import { buildEvent, KafkaBus, OutgoingMessage } from '../src';
import { capturingLogger } from './support';

/**
 * The three-node cluster of scripts/kafka.sh (KRaft, every node broker and controller, replication
 * factor 3, min.insync.replicas 2), started by this test on ports of its own, with one node killed
 * (SIGKILL) at a time: a partition leader, then the active controller, then two nodes at once. The
 * producer is the services' (KafkaBus: acks=all, idempotent); after each drill a consumer reads the
 * topic from its start and every acknowledged record must be there exactly once. Prints how long each
 * recovery took.
 */
const TOPIC = 'qc.results.v1';
/**
 * The retries the services' producer runs with: KafkaBus's first wait and count on kafkajs' defaults
 * (about 50 s in all). Under jest (NODE_ENV=test) kafkajs takes other defaults, at most a second
 * between tries (about 6 s in all), shorter than a failover.
 */
const SERVICE_RETRY = { initialRetryTime: 200, retries: 8, maxRetryTime: 30_000, multiplier: 2, factor: 0.2 };
const NODES = [1, 2, 3];
const run = randomUUID().slice(0, 8);

let cluster: LocalKafkaCluster;
let admin: Admin;
let bus: KafkaBus;
/** Every record the drills sent, acknowledged or not, by event id. */
const sent = new Map<string, Sent>();
const timings: Record<string, number> = {};

interface Sent {
  partition: number;
  sentAt: number;
  ackedAt?: number;
  error?: string;
}

async function clientOf(principal: KafkaPrincipal, clientId: string): Promise<Kafka> {
  return new Kafka({ ...kafkaClientOptions(await cluster.connection(principal)), clientId: `${clientId}-${run}`, logLevel: logLevel.NOTHING });
}

/** One record key per partition of the topic (the producers' partitioner hashes the key). */
function keysByPartition(partitions: number): string[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [], isr: [] }));
  const keys: string[] = [];
  for (let i = 0; keys.filter(Boolean).length < partitions; i++) {
    const key = `BC-CLUSTER-${run}-${i}`;
    keys[partitioner({ topic: TOPIC, partitionMetadata, message: { key, value: null } })] ??= key;
  }
  return keys;
}

const keys = keysByPartition(3);

function verdict(partition: number): OutgoingMessage<'qc.results.v1'> {
  const slideBarcode = keys[partition] as string;
  return buildEvent('qc.results.v1', 'qc.passed', slideBarcode, { scanId: randomUUID(), slideBarcode, scanEventId: randomUUID(), rulesVersion: 'cluster-drill', checks: [], reasons: [] }, { producer: 'qc' });
}

/** Writes through the services' producer, one record at a time over the partitions, until stopped. */
class Traffic {
  private readonly records: Sent[] = [];
  private running = true;
  private readonly finished: Promise<void>;

  constructor() {
    this.finished = this.run();
  }

  private async run(): Promise<void> {
    for (let n = 0; this.running; n++) {
      const event = verdict(n % keys.length);
      const record: Sent = { partition: n % keys.length, sentAt: Date.now() };
      this.records.push(record);
      sent.set(event.value.eventId, record);
      try {
        await bus.publish([event]);
        record.ackedAt = Date.now();
      } catch (e) {
        record.error = (e as Error).message;
      }
    }
  }

  acknowledged(since = 0): number {
    return this.records.filter((r) => r.ackedAt !== undefined && r.ackedAt > since).length;
  }

  failures(): string[] {
    return this.records.flatMap((r) => (r.error === undefined ? [] : [r.error]));
  }

  /** ms from `since` to the first acknowledgement, after it, of a record for one of `partitions`. */
  firstAckAfter(since: number, partitions: number[]): number | undefined {
    const first = this.records.find((r) => r.ackedAt !== undefined && r.ackedAt > since && partitions.includes(r.partition));
    return first?.ackedAt === undefined ? undefined : first.ackedAt - since;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.finished;
  }
}

async function partitionsOf(topic: string): Promise<PartitionMetadata[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions ?? [];
}

/** Every partition of every topic (internal ones too) with 3 replicas, all in sync; resolves with the time it took. */
async function everyReplicaInSync(since: number, what: string): Promise<number> {
  return eventually(
    async () => {
      const { topics } = await admin.fetchTopicMetadata();
      const partitions = topics.flatMap((t) => t.partitions);
      return partitions.length > 0 && partitions.every((p) => p.replicas.length === 3 && p.isr.length === 3) ? Date.now() - since : undefined;
    },
    120_000,
    what,
  );
}

/** How often each event id is in the topic, read from its start to its end by a new consumer group (as billing). */
async function eventCounts(): Promise<Map<string, number>> {
  const kafka = await clientOf('billing', 'cluster-reader');
  const ends = await admin.fetchTopicOffsets(TOPIC);
  const consumer = kafka.consumer({ groupId: `billing-cluster-drill-${randomUUID()}` });
  const counts = new Map<string, number>();
  const next = new Map<number, bigint>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const eventId = (JSON.parse(message.value?.toString('utf8') ?? '{}') as { eventId?: string }).eventId ?? 'none';
        counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
        next.set(partition, BigInt(message.offset) + 1n);
      },
    });
    await eventually(() => (ends.every((e) => (next.get(e.partition) ?? BigInt(e.low)) >= BigInt(e.high)) ? true : undefined), 60_000, `reading ${TOPIC} to its end`);
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

/** Every acknowledged record is in the log once; one that was not acknowledged at most once; nothing else is. */
async function expectEachAcknowledgedRecordOnce(): Promise<void> {
  const counts = await eventCounts();
  const acknowledged = [...sent].filter(([, r]) => r.ackedAt !== undefined).map(([id]) => id);
  expect(acknowledged.filter((id) => counts.get(id) !== 1)).toEqual([]);
  expect([...counts].filter(([id, n]) => n > 1 || !sent.has(id))).toEqual([]);
}

/**
 * Kills a node while records are written, waits for writes to the partitions it led to be acknowledged
 * again (then runs `whileDown`), starts it again and waits until every replica is back in sync; the
 * timings go to `timings`.
 */
async function killDuringTraffic(victim: number, drill: string, whileDown: () => Promise<void> = async () => undefined): Promise<void> {
  const led = (await partitionsOf(TOPIC)).filter((p) => p.leader === victim).map((p) => p.partitionId);
  expect(led.length).toBeGreaterThan(0);
  const traffic = new Traffic();
  try {
    await eventually(() => (traffic.acknowledged() >= 30 ? true : undefined), 60_000, 'writes before the kill');
    await cluster.kill(victim);
    // From here the node is gone: nothing it had not acknowledged yet can be acknowledged by it.
    const killedAt = Date.now();
    timings[`${drill}: new leaders elected`] = await eventually(
      async () => ((await partitionsOf(TOPIC)).filter((p) => led.includes(p.partitionId)).every((p) => p.leader >= 0 && p.leader !== victim) ? Date.now() - killedAt : undefined),
      120_000,
      'new leaders of the dead node’s partitions',
    );
    timings[`${drill}: writes acknowledged again`] = await eventually(() => traffic.firstAckAfter(killedAt, led), 120_000, 'an acknowledged write to the dead node’s partitions');
    const recoveredAt = killedAt + (timings[`${drill}: writes acknowledged again`] ?? 0);
    await eventually(() => (traffic.acknowledged(recoveredAt) >= 30 ? true : undefined), 60_000, 'writes after the recovery');
  } finally {
    await traffic.stop();
  }
  expect(traffic.failures()).toEqual([]);
  // Two replicas left in sync (the controller took the dead one out when it fenced it): writes with
  // acks=all go on, as min.insync.replicas is 2.
  await eventually(async () => ((await partitionsOf(TOPIC)).every((p) => p.isr.length === 2 && !p.isr.includes(victim)) ? true : undefined), 10_000, `node ${victim} out of every ISR`);
  await whileDown();
  const restartAt = Date.now();
  await cluster.startNode(victim);
  timings[`${drill}: node restarted`] = Date.now() - restartAt;
  timings[`${drill}: all replicas in sync again`] = await everyReplicaInSync(restartAt, `node ${victim} back in every ISR`);
  await expectEachAcknowledgedRecordOnce();
}

/** The broker's error code of a failed send (kafkajs puts it on the error or its cause). */
function errorCode(e: unknown): string {
  const error = e as { type?: string; cause?: { type?: string }; message: string };
  return error.type ?? error.cause?.type ?? error.message;
}

beforeAll(async () => {
  cluster = await LocalKafkaCluster.start({ nodes: 3 });
  timings['cluster start (3 nodes, topics, ACLs)'] = cluster.startMs;
  admin = (await clientOf('admin', 'cluster-admin')).admin();
  await admin.connect();
  bus = new KafkaBus({ connection: await cluster.connection('qc'), clientId: `cluster-drill-${run}`, service: 'qc', logger: capturingLogger('warn').logger, retry: SERVICE_RETRY });
  await bus.connect();
}, 300_000);

afterAll(async () => {
  await bus?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await cluster?.remove();
  console.log(`three-node Kafka drills (ms):\n${Object.entries(timings).map(([what, ms]) => `  ${what}: ${ms}`).join('\n')}`);
}, 120_000);

it('creates every topic of the table with three replicas, all in sync, and min.insync.replicas 2', async () => {
  expect(cluster.nodes).toBe(3);
  await everyReplicaInSync(Date.now(), 'three in-sync replicas of every partition');
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }] });
  const minIsr = described.resources[0]?.configEntries.find((c) => c.configName === 'min.insync.replicas');
  expect(minIsr?.configValue).toBe('2');
});

it('goes on acknowledging writes (acks=all) when a partition leader is killed, and keeps each record once', async () => {
  const controller = await cluster.activeController();
  const victim = (await partitionsOf(TOPIC)).map((p) => p.leader).find((leader) => leader !== controller);
  expect(victim).toBeDefined();
  await killDuringTraffic(victim as number, `leader (node ${victim}) killed`);
}, 600_000);

it('goes on acknowledging writes when the active controller is killed, and keeps each record once', async () => {
  const controller = await cluster.activeController();
  await killDuringTraffic(controller, `controller (node ${controller}) killed`, async () => {
    expect(await cluster.activeController()).not.toBe(controller);
  });
}, 600_000);

it('acknowledges no write while two of three nodes are down, and takes writes again when one is back', async () => {
  const partition = (await partitionsOf(TOPIC))[0] as PartitionMetadata;
  const survivor = partition.leader;
  const [first, second] = NODES.filter((n) => n !== survivor) as [number, number];
  // A producer as the services make it (idempotent, acks=all), connected while the cluster is whole,
  // which gives up after two tries of 5 s each instead of the services' 50 s of retries.
  const producer: Producer = (await clientOf('qc', 'cluster-drill-two-down')).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
  await producer.connect();
  const send = (event: OutgoingMessage) => producer.send({ topic: TOPIC, acks: -1, timeout: 5_000, messages: [{ key: event.key, value: JSON.stringify(event.value) }] });
  try {
    const before = verdict(partition.partitionId);
    const beforeAt = Date.now();
    await send(before);
    sent.set(before.value.eventId, { partition: partition.partitionId, sentAt: beforeAt, ackedAt: Date.now() });
    await cluster.kill(first);
    await cluster.kill(second);
    const during = verdict(partition.partitionId);
    const record: Sent = { partition: partition.partitionId, sentAt: Date.now() };
    sent.set(during.value.eventId, record);
    const refusal = await send(during).then(
      () => 'acknowledged',
      (e: unknown) => errorCode(e),
    );
    timings['two nodes down: write refused after'] = Date.now() - record.sentAt;
    // The survivor leads with no controller quorum (one voter of three): it cannot drop the dead
    // replicas from the in-sync set, so the write waits for them and times out. It is never acknowledged.
    expect(['REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']).toContain(refusal);
    console.log(`two of three nodes down: the write with acks=all was refused (${refusal})`);
    record.error = refusal;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  const backAt = Date.now();
  await cluster.startNode(first);
  const after = verdict(partition.partitionId);
  await bus.publish([after]);
  sent.set(after.value.eventId, { partition: partition.partitionId, sentAt: backAt, ackedAt: Date.now() });
  timings['two nodes down: writes acknowledged again after one node is started'] = Date.now() - backAt;
  const restartAt = Date.now();
  await cluster.startNode(second);
  timings['two nodes down: all replicas in sync again after the second start'] = await everyReplicaInSync(restartAt, 'both nodes back in every ISR');
  await expectEachAcknowledgedRecordOnce();
}, 600_000);
