import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createLogger, KafkaBus } from '@slidecharge/messaging';
import { ensureServiceBuilt, freePort, KEEP_PUBLISHED_OUTBOX, serviceDatabaseUrl, ServiceProcess, testEnv, TopicReader } from '@slidecharge/testing';
import { expectChargedExactlyOnce, waitForCharges } from './stream-checks';
import { deleteGroup, planCase, startGroupAtEnd, INPUT_TOPICS } from './support';

/**
 * Exactly-once under crash: billing runs as its own OS process (the build output, as in production)
 * and is SIGKILLed twice in the middle of a stream of cases, scans and QC verdicts, then restarted.
 * Afterwards billing.charge holds exactly the expected charges, and billing.charges.v1 carries exactly
 * the expected chargeIds: a repeat on the topic (the relay publishes at least once) is an identical
 * copy with the same chargeId and eventId.
 */
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const groupId = `billing-crash-${randomUUID()}`;
const pool = new Pool({ connectionString: databaseUrl });
let bus: KafkaBus;
let reader: TopicReader;
let billing: ServiceProcess | undefined;

async function startBilling(): Promise<ServiceProcess> {
  const env = { DATABASE_URL: serviceDatabaseUrl('billing'), KAFKA_BROKERS: kafkaBrokers, BILLING_CONSUMER_GROUP: groupId, LOG_LEVEL: 'info', ...KEEP_PUBLISHED_OUTBOX };
  billing = await new ServiceProcess('billing', await freePort(), env, 'billing-crash-recovery').start(120_000);
  return billing;
}

beforeAll(async () => {
  ensureServiceBuilt('billing', ['contracts', 'messaging', 'service-kit', 'billing-rules', 'kafka-client', 'hl7']);
  await startGroupAtEnd(kafkaBrokers, groupId, INPUT_TOPICS);
  bus = new KafkaBus({ connection: kafka, clientId: 'billing-crash', service: 'billing-crash', logger: createLogger('billing-crash', 'warn') });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, ['billing.charges.v1']).start();
}, 420_000);

afterAll(async () => {
  await billing?.stop('SIGKILL').catch(() => undefined);
  await reader?.stop();
  await bus?.disconnect();
  await deleteGroup(kafkaBrokers, groupId);
  await pool.end();
});

it('posts every expected charge exactly once although billing is killed twice mid-stream', async () => {
  const plan = Array.from({ length: 48 }, (_, i) => planCase(i, 'BCR'));
  const accessions = plan.map((p) => p.accession);
  const expectedKeys = plan.flatMap((p) => p.expectedKeys).sort();
  const firstHalf = plan.slice(0, 24);
  const secondHalf = plan.slice(24);

  // 1. Run, publish most of the first half, kill as soon as the first charges appear, then publish the
  //    rest while billing is down: the kill lands mid-stream however fast billing is (batches made it
  //    fast enough to finish a whole first half between two polls).
  let proc = await startBilling();
  await bus.publish(firstHalf.slice(0, 20).flatMap((p) => p.events));
  const atFirstKill = await waitForCharges(pool, accessions, 1, 60_000);
  expect(await proc.stop('SIGKILL')).toBeNull();
  await bus.publish(firstHalf.slice(20).flatMap((p) => p.events));
  const firstHalfKeys = firstHalf.flatMap((p) => p.expectedKeys).length;
  expect(atFirstKill).toBeLessThan(firstHalfKeys); // the kill landed mid-stream

  // 2. Restart, publish the second half, kill again once more than half of all charges exist.
  proc = await startBilling();
  await bus.publish(secondHalf.flatMap((p) => p.events));
  await waitForCharges(pool, accessions, Math.ceil(expectedKeys.length / 2) + 1, 120_000);
  expect(await proc.stop('SIGKILL')).toBeNull();

  // 3. Restart and let it finish: every charge once in the database and on the topic.
  proc = await startBilling();
  const { charges, repeats } = await expectChargedExactlyOnce({ pool, reader, kafkaBrokers, groupId, plan }, 150_000);
  console.log(`[crash-recovery] ${charges} charges for ${plan.length} cases; ${atFirstKill} existed at the first kill; ${repeats} repeated copies on the topic`);

  // 4. A clean stop still works after all that.
  expect(await proc.stop('SIGTERM')).toBe(0);
}, 480_000);
