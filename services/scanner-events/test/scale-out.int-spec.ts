import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Pool } from 'pg';
import { ScanEvent } from '@slidecharge/contracts';
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
  testKafka,
  TopicReader,
  waitForGroupCaughtUp,
  waitForGroupShared,
} from '@slidecharge/testing';
import { scanEventIdOf } from '../src/scan-events/scan-normalizer';

/**
 * Scale out is real for scanner-events' ingress door: two scanner-events instances, each its own OS
 * process from the build output (as in production), in ONE consumer group of scanner.ingress.v1
 * (SCANNER_INGRESS_CONSUMER_GROUP). Both own partitions and both record events; every middleware event
 * gets exactly one receipt, one outbox record and one scan event id on scan.events.v1 (a repeat on
 * the topic, from the at-least-once relay, is the same event id), exact duplicates included. Then one
 * instance is SIGKILLed in the middle of a stream and the other takes over its partitions, with
 * nothing lost and nothing recorded twice.
 */
const { databaseUrl, kafkaBrokers } = testEnv();
const group = `scanner-events-scale-${randomUUID()}`;
const INPUT = ['scanner.ingress.v1'] as const;
const pool = new Pool({ connectionString: databaseUrl });
const instances: ServiceProcess[] = [];
let producer: Producer;
let reader: TopicReader;

interface MiddlewareEvent {
  eventId: string;
  eventType: 'scan.started' | 'scan.completed';
  slideBarcode: string;
}

async function startInstance(n: number): Promise<ServiceProcess> {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', SCANNER_INGRESS_CONSUMER_GROUP: group, HTTP_METRICS: 'open', ...KEEP_PUBLISHED_OUTBOX };
  return new ServiceProcess('scanner-events', await freePort(), env, `scanner-events-scale-out/instance-${n}`).start(120_000);
}

/** `count` middleware events of fresh slides (distinct keys, so spread over every partition): completed scans, every fifth a scan start. */
function middlewareEvents(count: number): (MiddlewareEvent & Record<string, unknown>)[] {
  return Array.from({ length: count }, (_, i) => {
    const id = randomUUID();
    const eventType = i % 5 === 0 ? ('scan.started' as const) : ('scan.completed' as const);
    return {
      eventId: `mw-${id}`,
      eventType,
      occurredAt: new Date().toISOString(),
      slideBarcode: `S26-${id.slice(0, 8)}-A1-1`,
      scannerId: `GT450-${(i % 3) + 1}`,
      ...(eventType === 'scan.completed' ? { image: { imageId: `img-${id}`, focusScore: 0.93, tissueCoverage: 0.41, barcodeRead: true, stitchingErrors: 0, magnification: 40 } } : {}),
    };
  });
}

/** The events as the middleware produces them, keyed by slide barcode. */
const produce = (events: readonly MiddlewareEvent[]) =>
  producer.send({ topic: 'scanner.ingress.v1', acks: -1, messages: events.map((e) => ({ key: e.slideBarcode, value: JSON.stringify(e) })) });

/** The same events re-sent as they are (same event id, same key, so the same partition): every tenth. */
const exactDuplicatesOf = <T>(events: readonly T[]) => events.filter((_, i) => i % 10 === 0);

/**
 * Waits until every event has its receipt and everything is handed on (the group at the end of
 * scanner.ingress.v1, the outbox drained, the reader at the end of scan.events.v1), then checks each
 * event has exactly one receipt (received via kafka), one outbox record, one consumed event id and
 * exactly one scan event id on the topic, the one derived from it (repeats identical).
 */
async function expectEachEventRecordedOnce(events: readonly MiddlewareEvent[], timeoutMs: number): Promise<void> {
  const eventIds = events.map((e) => e.eventId);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM scanner.scan_event_receipt WHERE event_id = ANY($1)`, [eventIds]);
    return rows[0].n >= eventIds.length ? true : undefined;
  }, timeoutMs, `${eventIds.length} receipts`);
  await waitForGroupCaughtUp(kafkaBrokers, group, INPUT, 30_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM scanner.outbox WHERE payload->'data'->>'sourceEventId' = ANY($1) AND published_at IS NULL`, [eventIds]);
    return rows[0].n === 0 ? true : undefined;
  }, 30_000, 'the outbox to drain');
  const ours = (m: ReadMessage) => eventIds.includes((m.value as ScanEvent).data?.sourceEventId);
  await reader.waitFor(ours, (list) => new Set(list.map((m) => (m.value as ScanEvent).eventId)).size >= eventIds.length, 30_000);
  await reader.caughtUp(30_000);

  const receipts = await pool.query(`SELECT event_id, received_via FROM scanner.scan_event_receipt WHERE event_id = ANY($1) ORDER BY event_id`, [eventIds]);
  expect(receipts.rows.map((r) => r.event_id)).toEqual([...eventIds].sort());
  expect(new Set(receipts.rows.map((r) => r.received_via))).toEqual(new Set(['kafka']));

  const outbox = await pool.query(`SELECT payload->'data'->>'sourceEventId' AS source FROM scanner.outbox WHERE payload->'data'->>'sourceEventId' = ANY($1)`, [eventIds]);
  expect(outbox.rows.map((r) => r.source).sort()).toEqual([...eventIds].sort());

  const consumed = await pool.query(`SELECT count(*)::int AS n FROM scanner.consumed_event WHERE consumer = $1 AND event_id = ANY($2)`, [group, eventIds]);
  expect(consumed.rows[0].n).toBe(eventIds.length);

  const published = reader.messages.filter(ours).map((m) => m.value as ScanEvent);
  const firstCopy = firstCopyOfEach(published);
  expect(new Set(firstCopy.keys())).toEqual(new Set(eventIds.map(scanEventIdOf)));
}

beforeAll(async () => {
  ensureServiceBuilt('scanner-events', ['contracts', 'messaging', 'service-kit', 'kafka-client']);
  await startGroupAtEnd(kafkaBrokers, group, INPUT);
  producer = testKafka('scanner-events-scale-out').producer();
  await producer.connect();
  reader = await new TopicReader(kafkaBrokers, ['scan.events.v1']).start();
  instances.push(...(await Promise.all([startInstance(1), startInstance(2)])));
}, 420_000);

afterAll(async () => {
  for (const instance of instances) await instance.stop('SIGKILL').catch(() => undefined);
  await reader?.stop();
  await producer?.disconnect();
  await deleteGroup(kafkaBrokers, group);
  await pool.end();
});

it('two scanner-events instances in one group share the ingress topic: each event recorded exactly once, and both recorded some', async () => {
  const shared = await waitForGroupShared(kafkaBrokers, group, INPUT, 2);
  expect(shared.members).toHaveLength(2);

  const events = middlewareEvents(300);
  const duplicates = exactDuplicatesOf(events);
  await produce([...events, ...duplicates]);
  await expectEachEventRecordedOnce(events, 90_000);

  // Both processes consumed part of the stream (each counts in its own /metrics), together all of it.
  const [first, second] = (await consumedByEach(instances.map((i) => i.url), group)) as [number, number];
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);
  expect(first + second).toBeGreaterThanOrEqual(events.length + duplicates.length);
  console.log(`[scanner-events scale-out] ${events.length} events + ${duplicates.length} exact duplicates: instance 1 consumed ${first}, instance 2 consumed ${second}`);
}, 180_000);

it('when one instance is killed mid-stream, the other takes over its partitions: nothing lost, nothing recorded twice', async () => {
  const [survivor, victim] = instances as [ServiceProcess, ServiceProcess];
  const before = await consumedByInstance(survivor.url, group);
  const victimBefore = await consumedByInstance(victim.url, group);

  // The first half reaches both; the victim is killed once it has recorded some of it.
  const events = middlewareEvents(300);
  const [firstHalf, secondHalf] = [events.slice(0, 150), events.slice(150)];
  await produce([...firstHalf, ...exactDuplicatesOf(firstHalf)]);
  await eventually(async () => ((await consumedByInstance(victim.url, group)) > victimBefore ? true : undefined), 60_000, 'the victim to record some of the first half');
  expect(await victim.stop('SIGKILL')).toBeNull();

  // The second half is produced while the victim is dead: its partitions' events wait for the takeover.
  await produce([...secondHalf, ...exactDuplicatesOf(secondHalf)]);
  const alone = await waitForGroupShared(kafkaBrokers, group, INPUT, 1, 90_000);
  expect(Object.values(alone.members[0]?.partitions ?? {}).flat()).toHaveLength(3);

  await expectEachEventRecordedOnce(events, 90_000);
  // Everything of the second half was taken by the survivor (the victim was dead by then).
  const after = await consumedByInstance(survivor.url, group);
  expect(after - before).toBeGreaterThanOrEqual(secondHalf.length + exactDuplicatesOf(secondHalf).length);
  expect((await groupAssignment(kafkaBrokers, group)).members).toHaveLength(1);
  console.log(`[scanner-events scale-out] after the kill the survivor consumed ${after - before} (second half: ${secondHalf.length} + duplicates)`);
}, 180_000);
