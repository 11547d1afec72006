import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createLogger, KafkaBus } from '@slidecharge/messaging';
import {
  consumedByEach,
  consumedByInstance,
  deleteGroup,
  ensureServiceBuilt,
  eventually,
  freePort,
  groupAssignment,
  KEEP_PUBLISHED_OUTBOX,
  serviceDatabaseUrl,
  ServiceProcess,
  startGroupAtEnd,
  testEnv,
  TopicReader,
  waitForGroupShared,
} from '@slidecharge/testing';
import { expectChargedExactlyOnce } from './stream-checks';
import { INPUT_TOPICS, planCase } from './support';

/**
 * Scale out is real for billing: two billing instances, each its own OS process from the build output
 * (as in production), in ONE consumer group of its three input topics. Both own partitions and both
 * handle events (a case's scans and verdicts come on several partitions, so both decide the same cases);
 * every expected charge is stored once and published once, exact duplicates of input events included.
 * Then one instance is SIGKILLed in the middle of a stream and the other takes over its partitions, with
 * nothing lost and nothing charged twice.
 */
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const groupId = `billing-scale-${randomUUID()}`;
const pool = new Pool({ connectionString: databaseUrl });
const instances: ServiceProcess[] = [];
let bus: KafkaBus;
let reader: TopicReader;

/** One group member per process (BILLING_CONSUMERS=1), so that two processes share the three partitions. */
async function startInstance(n: number): Promise<ServiceProcess> {
  const env = { DATABASE_URL: serviceDatabaseUrl('billing'), KAFKA_BROKERS: kafkaBrokers, BILLING_CONSUMER_GROUP: groupId, BILLING_CONSUMERS: '1', LOG_LEVEL: 'info', HTTP_METRICS: 'open', ...KEEP_PUBLISHED_OUTBOX };
  return new ServiceProcess('billing', await freePort(), env, `billing-scale-out/instance-${n}`).start(120_000);
}

beforeAll(async () => {
  ensureServiceBuilt('billing', ['contracts', 'messaging', 'service-kit', 'billing-rules', 'kafka-client', 'hl7']);
  await startGroupAtEnd(kafkaBrokers, groupId, INPUT_TOPICS);
  bus = new KafkaBus({ connection: kafka, clientId: 'billing-scale-out', service: 'billing-scale-out', logger: createLogger('billing-scale-out', 'warn') });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, ['billing.charges.v1']).start();
  instances.push(...(await Promise.all([startInstance(1), startInstance(2)])));
}, 420_000);

afterAll(async () => {
  for (const instance of instances) await instance.stop('SIGKILL').catch(() => undefined);
  await reader?.stop();
  await bus?.disconnect();
  await deleteGroup(kafkaBrokers, groupId);
  await pool.end();
});

it('two billing instances in one group share the events: every charge once, and both handled some', async () => {
  const shared = await waitForGroupShared(kafkaBrokers, groupId, INPUT_TOPICS, 2);
  expect(shared.members).toHaveLength(2);

  const plan = Array.from({ length: 60 }, (_, i) => planCase(i, 'BSO'));
  const events = plan.flatMap((p) => p.events);
  await bus.publish(events);
  const { charges, repeats } = await expectChargedExactlyOnce({ pool, reader, kafkaBrokers, groupId, plan }, 120_000);

  // Both processes consumed part of the stream (each counts in its own /metrics), together all of it.
  const [first, second] = (await consumedByEach(instances.map((i) => i.url), groupId)) as [number, number];
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);
  expect(first + second).toBeGreaterThanOrEqual(events.length);
  console.log(`[billing scale-out] ${events.length} events, ${charges} charges (${repeats} repeated copies on the topic): instance 1 consumed ${first}, instance 2 ${second}`);
}, 240_000);

it('when one instance is killed mid-stream, the other takes over its partitions: nothing lost, nothing charged twice', async () => {
  const [survivor, victim] = instances as [ServiceProcess, ServiceProcess];
  const before = await consumedByInstance(survivor.url, groupId);
  const victimBefore = await consumedByInstance(victim.url, groupId);

  // The first half reaches both; the victim is killed once it has handled some of it.
  const plan = Array.from({ length: 60 }, (_, i) => planCase(i, 'BSK'));
  const [firstHalf, secondHalf] = [plan.slice(0, 30), plan.slice(30)];
  await bus.publish(firstHalf.flatMap((p) => p.events));
  await eventually(async () => ((await consumedByInstance(victim.url, groupId)) > victimBefore ? true : undefined), 60_000, 'the victim to handle some of the first half');
  expect(await victim.stop('SIGKILL')).toBeNull();

  // The second half is published while the victim is dead: its partitions' events wait for the takeover.
  const secondEvents = secondHalf.flatMap((p) => p.events);
  await bus.publish(secondEvents);
  const alone = await waitForGroupShared(kafkaBrokers, groupId, INPUT_TOPICS, 1, 90_000);
  expect(Object.values(alone.members[0]?.partitions ?? {}).flat()).toHaveLength(3 * INPUT_TOPICS.length);

  const { charges } = await expectChargedExactlyOnce({ pool, reader, kafkaBrokers, groupId, plan }, 120_000);
  // Everything of the second half was taken by the survivor (the victim was dead by then).
  const after = await consumedByInstance(survivor.url, groupId);
  expect(after - before).toBeGreaterThanOrEqual(secondEvents.length);
  expect((await groupAssignment(kafkaBrokers, groupId)).members).toHaveLength(1);
  console.log(`[billing scale-out] after the kill the survivor consumed ${after - before} events (second half: ${secondEvents.length}); ${charges} charges once`);
}, 240_000);
