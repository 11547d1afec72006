import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import {
  consumedByEach,
  consumedByInstance,
  deleteGroup,
  ensureServiceBuilt,
  eventually,
  freePort,
  groupAssignment,
  ServiceProcess,
  startGroupAtEnd,
  testEnv,
  waitForGroupCaughtUp,
  waitForGroupShared,
} from '@slidecharge/testing';
import { PROJECTED_TOPICS } from '../src/projection/facts';
import { caseCreated, chargePosted, qcVerdict, scanCompleted } from './events';

/**
 * Scale out is real for the ops console's projection: two ops-console instances, each its own OS
 * process from the build output (as in production), in ONE consumer group (OPS_CONSOLE_CONSUMER_GROUP)
 * of the four projected topics. Both own partitions and both project events; every event's fact
 * exists exactly once (case versions, cases first seen, scans, verdicts, charges), exact duplicates
 * included, and every charge's scan -> charge and case -> charge lags are filled although a case and
 * its charge (same key, two topics) are projected by different instances. Then one instance is
 * stopped (SIGTERM, as a rolling deploy does) in the middle of a stream and the other takes over its
 * partitions, with nothing lost and nothing projected twice.
 */
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const group = `ops-console-scale-${randomUUID()}`;
const run = randomUUID().slice(0, 8).toUpperCase();
const pool = new Pool({ connectionString: databaseUrl });
const instances: ServiceProcess[] = [];
let bus: KafkaBus;

/** Seconds from the case to its scan and to its charge: the lags every charge must show. */
const SCAN_AFTER = 300;
const CHARGE_AFTER = 900;

async function startInstance(n: number): Promise<ServiceProcess> {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', OPS_CONSOLE_CONSUMER_GROUP: group, HTTP_METRICS: 'open', OPS_CONSOLE_FEE_SCHEDULE_FILE: 'ops/fee-schedule.example.json' };
  return new ServiceProcess('ops-console', await freePort(), env, `ops-console-scale-out/instance-${n}`).start(120_000);
}

/** One case's life as the four topics carry it: created, its slide scanned and judged, a charge posted naming the scan. */
interface CaseStory {
  accessionNumber: string;
  scanId: string;
  chargeId: string;
  events: OutgoingMessage[];
}

/** `count` fresh cases (distinct accessions and slides, so spread over every partition of every topic). */
function caseStories(count: number, tag: string): CaseStory[] {
  const t = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) => {
    const accessionNumber = `SO${run}-${tag}${String(i).padStart(3, '0')}`;
    const slide = `${accessionNumber}-A1-1`;
    const scanId = `scan-${accessionNumber}`;
    const chargeId = randomUUID();
    const at = (seconds: number) => new Date(t + i * 1000 + seconds * 1000);
    const events = [
      caseCreated(accessionNumber, [slide], at(0)),
      scanCompleted(scanId, slide, at(SCAN_AFTER), `GT-${run}`),
      qcVerdict(scanId, slide, i % 6 !== 0, at(SCAN_AFTER + 10)),
      chargePosted(chargeId, accessionNumber, [scanId], at(CHARGE_AFTER), 'AETNA'),
    ];
    return { accessionNumber, scanId, chargeId, events };
  });
}

const eventIdOf = (m: OutgoingMessage) => (m.value as { eventId: string }).eventId;

/** The same messages re-sent as they are (same event id, same key, so the same partition): every tenth. */
const exactDuplicatesOf = (events: readonly OutgoingMessage[]) => events.filter((_, i) => i % 10 === 0);

/**
 * Publishes the stories' events, every tenth twice, in one send: large batches on both instances at
 * once, so cases and their charges (same key, two topics, two instances) are projected side by side.
 */
async function publishStories(stories: readonly CaseStory[]): Promise<number> {
  const events = stories.flatMap((s) => s.events);
  const messages = [...events, ...exactDuplicatesOf(events)];
  await bus.publish(messages);
  return messages.length;
}

/**
 * Waits until every charge is projected and the group is at the end of the four topics, then checks
 * every event has exactly one fact and one consumed event id, and every charge both lags.
 */
async function expectEachEventProjectedOnce(stories: readonly CaseStory[], timeoutMs: number): Promise<void> {
  const accessions = stories.map((s) => s.accessionNumber);
  const scanIds = stories.map((s) => s.scanId);
  const chargeIds = stories.map((s) => s.chargeId);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ops_console.charge_fact WHERE charge_id = ANY($1::uuid[])`, [chargeIds]);
    return rows[0].n >= chargeIds.length ? true : undefined;
  }, timeoutMs, `${chargeIds.length} charge facts`);
  await waitForGroupCaughtUp(kafkaBrokers, group, PROJECTED_TOPICS, 60_000);

  const sorted = (values: readonly string[]) => [...values].sort();
  const column = async (sql: string, values: readonly string[]) => (await pool.query(sql, [values])).rows.map((r) => String(r.v)).sort();
  const caseEventIds = stories.map((s) => eventIdOf(s.events[0] as OutgoingMessage));
  expect(await column(`SELECT event_id AS v FROM ops_console.case_version_fact WHERE accession_number = ANY($1)`, accessions)).toEqual(sorted(caseEventIds));
  expect(await column(`SELECT accession_number AS v FROM ops_console.case_first_seen WHERE accession_number = ANY($1)`, accessions)).toEqual(sorted(accessions));
  expect(await column(`SELECT scan_id AS v FROM ops_console.scan_fact WHERE scan_id = ANY($1)`, scanIds)).toEqual(sorted(scanIds));
  expect(await column(`SELECT scan_id AS v FROM ops_console.qc_fact WHERE scan_id = ANY($1)`, scanIds)).toEqual(sorted(scanIds));
  expect(await column(`SELECT charge_id::text AS v FROM ops_console.charge_fact WHERE charge_id = ANY($1::uuid[])`, chargeIds)).toEqual(sorted(chargeIds));

  const eventIds = [...new Set(stories.flatMap((s) => s.events.map(eventIdOf)))];
  const consumed = await pool.query(`SELECT count(*)::int AS n FROM ops_console.consumed_event WHERE consumer = $1 AND event_id = ANY($2)`, [group, eventIds]);
  expect(consumed.rows[0].n).toBe(eventIds.length);

  // Both sides of each lag were seen, whichever instance projected which side first.
  const lags = await pool.query(
    `SELECT charge_id::text AS "chargeId", scan_to_charge_seconds AS scan, case_to_charge_seconds AS "case" FROM ops_console.charge_fact WHERE charge_id = ANY($1::uuid[])`,
    [chargeIds],
  );
  const missing = lags.rows.filter((r) => r.scan === null || r.case === null);
  expect({ missing: missing.length, of: lags.rows.length }).toEqual({ missing: 0, of: chargeIds.length });
  for (const r of lags.rows) expect({ scan: r.scan, case: r.case }).toEqual({ scan: CHARGE_AFTER - SCAN_AFTER, case: CHARGE_AFTER });
}

beforeAll(async () => {
  ensureServiceBuilt('ops-console', ['contracts', 'messaging', 'service-kit', 'kafka-client', 'billing-rules']);
  await startGroupAtEnd(kafkaBrokers, group, PROJECTED_TOPICS);
  bus = new KafkaBus({ connection: kafka, clientId: 'ops-console-scale-out', service: 'ops-console-scale-out', logger: createLogger('ops-console-scale-out', 'warn') });
  await bus.connect();
  instances.push(...(await Promise.all([startInstance(1), startInstance(2)])));
}, 420_000);

afterAll(async () => {
  for (const instance of instances) await instance.stop('SIGKILL').catch(() => undefined);
  await bus?.disconnect();
  await deleteGroup(kafkaBrokers, group);
  await pool.end();
});

it('two ops-console instances in one group share the four topics: each event projected exactly once, lags filled, and both projected some', async () => {
  const shared = await waitForGroupShared(kafkaBrokers, group, PROJECTED_TOPICS, 2);
  expect(shared.members).toHaveLength(2);

  const stories = caseStories(150, 'A');
  const sent = await publishStories(stories);
  await expectEachEventProjectedOnce(stories, 90_000);

  // Both processes consumed part of the stream (each counts in its own /metrics), together all of it.
  const [first, second] = (await consumedByEach(instances.map((i) => i.url), group)) as [number, number];
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);
  expect(first + second).toBeGreaterThanOrEqual(sent);
  console.log(`[ops-console scale-out] ${stories.length * 4} events + ${sent - stories.length * 4} exact duplicates: instance 1 consumed ${first}, instance 2 consumed ${second}`);
}, 180_000);

it('when one instance is stopped mid-stream, the other takes over its partitions: nothing lost, nothing projected twice', async () => {
  const [survivor, leaving] = instances as [ServiceProcess, ServiceProcess];
  const before = await consumedByInstance(survivor.url, group);
  const leavingBefore = await consumedByInstance(leaving.url, group);

  // The first half reaches both; the leaving instance is stopped once it has projected some of it.
  const stories = caseStories(150, 'B');
  const [firstHalf, secondHalf] = [stories.slice(0, 75), stories.slice(75)];
  await publishStories(firstHalf);
  await eventually(async () => ((await consumedByInstance(leaving.url, group)) > leavingBefore ? true : undefined), 60_000, 'the leaving instance to project some of the first half');
  expect(await leaving.stop('SIGTERM')).toBe(0);

  // The second half is published after it left: its partitions' events are the survivor's now.
  const secondSent = await publishStories(secondHalf);
  const alone = await waitForGroupShared(kafkaBrokers, group, PROJECTED_TOPICS, 1, 60_000);
  expect(Object.values(alone.members[0]?.partitions ?? {}).flat()).toHaveLength(PROJECTED_TOPICS.length * 3);

  await expectEachEventProjectedOnce(stories, 90_000);
  // Everything of the second half was taken by the survivor (the other had left by then).
  const after = await consumedByInstance(survivor.url, group);
  expect(after - before).toBeGreaterThanOrEqual(secondSent);
  expect((await groupAssignment(kafkaBrokers, group)).members).toHaveLength(1);
  console.log(`[ops-console scale-out] after the stop the survivor consumed ${after - before} (second half: ${secondSent} with its duplicates)`);
}, 180_000);
