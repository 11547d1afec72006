import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import { ensureServiceBuilt, eventually, freePort, serviceDatabaseUrl, ServiceProcess, testEnv, TopicReader, waitForGroupCaughtUp } from '@slidecharge/testing';
import { chargeIdFor, chargePostedEventIdFor } from '../src/charge/charge-id';
import { barcodeOf, caseEvent, ChargeMessage, deleteGroup, newAccession, passingScans, snapshot, SpecimenSpec, startGroupAtEnd, INPUT_TOPICS } from './support';

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
  const env = { DATABASE_URL: serviceDatabaseUrl('billing'), KAFKA_BROKERS: kafkaBrokers, BILLING_CONSUMER_GROUP: groupId, LOG_LEVEL: 'info' };
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

interface PlannedCase {
  accession: string;
  events: OutgoingMessage[];
  expectedKeys: string[];
}

/**
 * Case i: specimen A (88305, 2 slides); every third case also B (88307 -> 0754T); every fourth also C
 * (88305, 2 units). Half the cases send their scans before the case. A few events are sent twice.
 */
function planCase(i: number): PlannedCase {
  const accession = newAccession('BCR');
  const specimens: SpecimenSpec[] = [{ id: 'A', cpt: '88305', slides: 2 }];
  if (i % 3 === 0) specimens.push({ id: 'B', cpt: '88307', slides: 1 });
  if (i % 4 === 0) specimens.push({ id: 'C', cpt: '88305', units: 2, slides: 1 });
  const data = snapshot(accession, specimens);
  const scans = passingScans(specimens.flatMap((s) => Array.from({ length: s.slides }, (_, n) => barcodeOf(accession, s.id, n + 1))));
  const events = i % 2 === 0 ? [caseEvent(data), ...scans] : [...scans, caseEvent(data)];
  if (i % 5 === 0) events.push(scans[0] as OutgoingMessage, scans[1] as OutgoingMessage);
  const expectedKeys = specimens.map((s) => `${accession}/${s.id}/${s.cpt === '88307' ? '0754T' : '0753T'}`);
  return { accession, events, expectedKeys };
}

async function chargeCount(accessions: string[]): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.charge WHERE accession_number = ANY($1)`, [accessions]);
  return rows[0].n as number;
}

async function waitForCharges(accessions: string[], atLeast: number, timeoutMs: number): Promise<number> {
  return eventually(
    async () => {
      const n = await chargeCount(accessions);
      return n >= atLeast ? n : undefined;
    },
    timeoutMs,
    `${atLeast} charges`,
  );
}

it('posts every expected charge exactly once although billing is killed twice mid-stream', async () => {
  const plan = Array.from({ length: 48 }, (_, i) => planCase(i));
  const accessions = plan.map((p) => p.accession);
  const expectedKeys = plan.flatMap((p) => p.expectedKeys).sort();
  const firstHalf = plan.slice(0, 24);
  const secondHalf = plan.slice(24);

  // 1. Run, publish most of the first half, kill as soon as the first charges appear, then publish the
  //    rest while billing is down: the kill lands mid-stream however fast billing is (batches made it
  //    fast enough to finish a whole first half between two polls).
  let proc = await startBilling();
  await bus.publish(firstHalf.slice(0, 20).flatMap((p) => p.events));
  const atFirstKill = await waitForCharges(accessions, 1, 60_000);
  expect(await proc.stop('SIGKILL')).toBeNull();
  await bus.publish(firstHalf.slice(20).flatMap((p) => p.events));
  const firstHalfKeys = firstHalf.flatMap((p) => p.expectedKeys).length;
  expect(atFirstKill).toBeLessThan(firstHalfKeys); // the kill landed mid-stream

  // 2. Restart, publish the second half, kill again once more than half of all charges exist.
  proc = await startBilling();
  await bus.publish(secondHalf.flatMap((p) => p.events));
  await waitForCharges(accessions, Math.ceil(expectedKeys.length / 2) + 1, 120_000);
  expect(await proc.stop('SIGKILL')).toBeNull();

  // 3. Restart and let it finish: every input event handled (the group at the end of its topics).
  proc = await startBilling();
  await waitForCharges(accessions, expectedKeys.length, 150_000);
  await waitForGroupCaughtUp(kafkaBrokers, groupId, INPUT_TOPICS, 60_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.outbox WHERE key = ANY($1) AND published_at IS NULL`, [accessions]);
    return rows[0].n === 0 ? true : undefined;
  }, 60_000, 'the outbox to drain');
  const expectedIds = new Set(expectedKeys.map(chargeIdFor));
  const ours = () => reader.messages.filter((m) => accessions.includes((m.value as ChargeMessage).data?.accessionNumber));
  await reader.waitFor(
    (m) => accessions.includes((m.value as ChargeMessage).data?.accessionNumber),
    (list) => new Set(list.map((m) => (m.value as ChargeMessage).data.chargeId)).size >= expectedIds.size,
    60_000,
  );
  // Everything published so far has been read: nothing more can come.
  await reader.caughtUp(60_000);

  // Every event was taken exactly once, whatever was redelivered after the kills.
  const eventIds = [...new Set(plan.flatMap((p) => p.events.map((e) => (e.value as { eventId: string }).eventId)))];
  const consumed = await pool.query(`SELECT count(*)::int AS n FROM billing.consumed_event WHERE consumer = 'billing' AND event_id = ANY($1)`, [eventIds]);
  expect(consumed.rows[0].n).toBe(eventIds.length);

  // The database: exactly the expected charges, with the ids derived from their keys.
  const stored = await pool.query(`SELECT charge_key, charge_id::text AS charge_id FROM billing.charge WHERE accession_number = ANY($1) ORDER BY charge_key`, [accessions]);
  expect(stored.rows.map((r) => r.charge_key)).toEqual(expectedKeys);
  for (const r of stored.rows) expect(r.charge_id).toBe(chargeIdFor(r.charge_key));
  const outbox = await pool.query(`SELECT count(*)::int AS n FROM billing.outbox WHERE key = ANY($1)`, [accessions]);
  expect(outbox.rows[0].n).toBe(expectedKeys.length);

  // The topic: exactly the expected chargeIds; any repeat is an identical copy.
  const messages = ours().map((m) => m.value as ChargeMessage);
  expect(new Set(messages.map((m) => m.data.chargeId))).toEqual(expectedIds);
  const firstCopy = new Map<string, ChargeMessage>();
  for (const m of messages) {
    expect(m.eventId).toBe(chargePostedEventIdFor(m.data.chargeId));
    const seen = firstCopy.get(m.data.chargeId);
    if (seen) expect(m).toEqual(seen);
    else firstCopy.set(m.data.chargeId, m);
  }
  console.log(
    `[crash-recovery] ${expectedKeys.length} charges for ${plan.length} cases; ${atFirstKill} existed at the first kill; ` +
      `${messages.length - expectedIds.size} repeated copies on the topic`,
  );

  // 4. A clean stop still works after all that.
  expect(await proc.stop('SIGTERM')).toBe(0);
}, 480_000);
