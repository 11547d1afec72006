import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { QcEvent, ScanImage } from '@slidecharge/contracts';
import { buildEvent, createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import {
  consumedByEach,
  consumedByInstance,
  deleteGroup,
  ensureServiceBuilt,
  eventually,
  firstCopyOfEach,
  freePort,
  groupAssignment,
  KEEP_PUBLISHED_OUTBOX,
  ReadMessage,
  ServiceProcess,
  startGroupAtEnd,
  testEnv,
  TopicReader,
  waitForGroupCaughtUp,
  waitForGroupShared,
} from '@slidecharge/testing';
import { GOOD, newBarcode } from './harness';

/**
 * Scale out is real for qc: two qc instances, each its own OS process from the build output (as in
 * production), in ONE consumer group of scan.events.v1. Both own partitions and both judge scans; every
 * completed scan gets exactly one verdict row, one outbox record and one verdict event id on
 * qc.results.v1 (a repeat on the topic, from the at-least-once relay, is the same event id), exact
 * duplicates of scan events included. Then one instance is SIGKILLed in the middle of a stream and the
 * other takes over its partitions, with nothing lost and nothing judged twice.
 */
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const group = `qc-scale-${randomUUID()}`;
const INPUT = ['scan.events.v1'] as const;
const pool = new Pool({ connectionString: databaseUrl });
const instances: ServiceProcess[] = [];
let bus: KafkaBus;
let reader: TopicReader;

/** Fails the focus rule (well under the default minimum). */
const BLURRED: ScanImage = { ...GOOD, focusScore: 0.2 };

async function startInstance(n: number): Promise<ServiceProcess> {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', QC_CONSUMER_GROUP: group, HTTP_METRICS: 'open', ...KEEP_PUBLISHED_OUTBOX };
  return new ServiceProcess('qc', await freePort(), env, `qc-scale-out/instance-${n}`).start(120_000);
}

/** `count` completed scans of fresh slides (distinct keys, so spread over every partition); every seventh blurred. */
function completedScans(count: number): OutgoingMessage<'scan.events.v1'>[] {
  return Array.from({ length: count }, (_, i) => {
    const slideBarcode = newBarcode();
    const data = {
      scanId: `scan-${randomUUID()}`,
      slideBarcode,
      scannerId: `GT450-${(i % 3) + 1}`,
      scannedAt: new Date().toISOString(),
      purpose: 'diagnostic' as const,
      receivedVia: 'kafka' as const,
      sourceEventId: `mw-${randomUUID()}`,
      image: i % 7 === 0 ? BLURRED : GOOD,
    };
    return buildEvent('scan.events.v1', 'scan.completed', slideBarcode, data, { producer: 'scanner-events' });
  });
}

const scanIdOf = (m: OutgoingMessage<'scan.events.v1'>) => m.value.data.scanId;
const eventIdOf = (m: OutgoingMessage) => (m.value as { eventId: string }).eventId;

/** The same messages re-sent as they are (same event id, same key, so the same partition): every tenth. */
const exactDuplicatesOf = (scans: readonly OutgoingMessage<'scan.events.v1'>[]) => scans.filter((_, i) => i % 10 === 0);


/**
 * Waits until every scan has its verdict and everything is handed on (the group at the end of
 * scan.events.v1, the outbox drained, the reader at the end of qc.results.v1), then checks each scan
 * has exactly one verdict row, one outbox record, one consumed event id per distinct input event, and
 * exactly one verdict event id on the topic (repeats identical).
 */
async function expectEachScanJudgedOnce(scans: readonly OutgoingMessage<'scan.events.v1'>[], timeoutMs: number): Promise<void> {
  const scanIds = scans.map(scanIdOf);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM qc.qc_result WHERE scan_id = ANY($1)`, [scanIds]);
    return rows[0].n >= scanIds.length ? true : undefined;
  }, timeoutMs, `${scanIds.length} verdicts`);
  await waitForGroupCaughtUp(kafkaBrokers, group, INPUT, 30_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM qc.outbox WHERE payload->'data'->>'scanId' = ANY($1) AND published_at IS NULL`, [scanIds]);
    return rows[0].n === 0 ? true : undefined;
  }, 30_000, 'the outbox to drain');
  const ours = (m: ReadMessage) => scanIds.includes((m.value as QcEvent).data?.scanId);
  await reader.waitFor(ours, (list) => new Set(list.map((m) => (m.value as QcEvent).data.scanId)).size >= scanIds.length, 30_000);
  await reader.caughtUp(30_000);

  const verdicts = await pool.query(`SELECT scan_id, scan_event_id FROM qc.qc_result WHERE scan_id = ANY($1) ORDER BY scan_id`, [scanIds]);
  expect(verdicts.rows.map((r) => r.scan_id)).toEqual([...scanIds].sort());
  const eventIdOfScan = new Map(scans.map((s) => [scanIdOf(s), eventIdOf(s)]));
  for (const r of verdicts.rows) expect(r.scan_event_id).toBe(eventIdOfScan.get(r.scan_id));

  const outbox = await pool.query(`SELECT payload->'data'->>'scanId' AS scan_id FROM qc.outbox WHERE payload->'data'->>'scanId' = ANY($1)`, [scanIds]);
  expect(outbox.rows.map((r) => r.scan_id).sort()).toEqual([...scanIds].sort());

  const eventIds = [...new Set(scans.map(eventIdOf))];
  const consumed = await pool.query(`SELECT count(*)::int AS n FROM qc.consumed_event WHERE consumer = $1 AND event_id = ANY($2)`, [group, eventIds]);
  expect(consumed.rows[0].n).toBe(eventIds.length);

  const published = reader.messages.filter(ours).map((m) => m.value as QcEvent);
  const firstCopy = firstCopyOfEach(published);
  expect(firstCopy.size).toBe(scanIds.length);
  expect([...firstCopy.values()].map((e) => e.data.scanId).sort()).toEqual([...scanIds].sort());
}

beforeAll(async () => {
  ensureServiceBuilt('qc', ['contracts', 'messaging', 'service-kit', 'qc-rules', 'kafka-client']);
  await startGroupAtEnd(kafkaBrokers, group, INPUT);
  bus = new KafkaBus({ connection: kafka, clientId: 'qc-scale-out', service: 'qc-scale-out', logger: createLogger('qc-scale-out', 'warn') });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, ['qc.results.v1']).start();
  instances.push(...(await Promise.all([startInstance(1), startInstance(2)])));
}, 420_000);

afterAll(async () => {
  for (const instance of instances) await instance.stop('SIGKILL').catch(() => undefined);
  await reader?.stop();
  await bus?.disconnect();
  await deleteGroup(kafkaBrokers, group);
  await pool.end();
});

it('two qc instances in one group share the scans: each judged exactly once, and both judged some', async () => {
  const shared = await waitForGroupShared(kafkaBrokers, group, INPUT, 2);
  expect(shared.members).toHaveLength(2);

  const scans = completedScans(300);
  const duplicates = exactDuplicatesOf(scans);
  await bus.publish([...scans, ...duplicates]);
  await expectEachScanJudgedOnce(scans, 90_000);

  // Both processes consumed part of the stream (each counts in its own /metrics), together all of it.
  const [first, second] = (await consumedByEach(instances.map((i) => i.url), group)) as [number, number];
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);
  expect(first + second).toBeGreaterThanOrEqual(scans.length + duplicates.length);
  console.log(`[qc scale-out] ${scans.length} scans + ${duplicates.length} exact duplicates: instance 1 consumed ${first}, instance 2 consumed ${second}`);
}, 180_000);

it('when one instance is killed mid-stream, the other takes over its partitions: nothing lost, nothing judged twice', async () => {
  const [survivor, victim] = instances as [ServiceProcess, ServiceProcess];
  const before = await consumedByInstance(survivor.url, group);
  const victimBefore = await consumedByInstance(victim.url, group);

  // The first half reaches both; the victim is killed once it has judged some of it.
  const scans = completedScans(300);
  const [firstHalf, secondHalf] = [scans.slice(0, 150), scans.slice(150)];
  await bus.publish([...firstHalf, ...exactDuplicatesOf(firstHalf)]);
  await eventually(async () => ((await consumedByInstance(victim.url, group)) > victimBefore ? true : undefined), 60_000, 'the victim to judge some of the first half');
  expect(await victim.stop('SIGKILL')).toBeNull();

  // The second half is published while the victim is dead: its partitions' scans wait for the takeover.
  await bus.publish([...secondHalf, ...exactDuplicatesOf(secondHalf)]);
  const alone = await waitForGroupShared(kafkaBrokers, group, INPUT, 1, 90_000);
  expect(Object.values(alone.members[0]?.partitions ?? {}).flat()).toHaveLength(3);

  await expectEachScanJudgedOnce(scans, 90_000);
  // Everything of the second half was taken by the survivor (the victim was dead by then).
  const after = await consumedByInstance(survivor.url, group);
  expect(after - before).toBeGreaterThanOrEqual(secondHalf.length + exactDuplicatesOf(secondHalf).length);
  expect((await groupAssignment(kafkaBrokers, group)).members).toHaveLength(1);
  console.log(`[qc scale-out] after the kill the survivor consumed ${after - before} (second half: ${secondHalf.length} + duplicates)`);
}, 180_000);
