// slidecharge's part of the benchmark: N cases and their scan events through the RUNNING stack
// (npm run stack), from scan-completed to charge on billing.charges.v1 (see scripts/bench.mjs).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { bearer, scannerDevKey } from '../lib/identity.mjs';
import { pool } from '../lib/pool.mjs';
import { databaseUsageBetween, trySampleDatabase } from './database-usage.mjs';
import { kafkaAs } from './kafka.mjs';
import { sampleAll, stackServicePids, usageBetween } from './process-usage.mjs';
import { latencySummary, perSecond } from './stats.mjs';

// The stack's service processes (scripts/stack.sh SERVICES and CONSOLE), measured during the scans,
// and the second instances `scripts/stack.sh scale` started (<service>-2), when running.
const STACK_SERVICES = ['accession', 'scanner-events', 'qc', 'billing', 'ops-console'];
const SECOND_INSTANCES = ['scanner-events-2', 'qc-2', 'billing-2', 'ops-console-2'];
const root = new URL('../../', import.meta.url).pathname;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const call = async (method, url, body, headers = {}) => {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status} ${await res.text()}`);
  return res.json();
};

/** Runs the stack's benchmark and returns its figures (chargesReceived < chargesExpected when some are missing). */
export async function runSlidecharge(settings) {
  const run = randomUUID().slice(0, 6).toUpperCase();
  const plan = benchPlan(settings, run);
  // Kafka as the principals that really read charges and write raw scan events: billing-system and
  // scanner-middleware of the bundled broker (scripts/kafka.sh env), or the KAFKA_* settings given.
  const reader = await startChargeReader(settings, run);
  const producer = kafkaAs('scanner-middleware', settings.kafkaBrokers).producer();
  await producer.connect();
  try {
    const casesSeconds = await createCases(settings, plan);
    await waitUntilBillingKnows(settings, plan.cases[plan.cases.length - 1]);
    const statistics = await statisticsAsAutovacuumKeepsThem(settings, plan.cases[plan.cases.length - 1]);
    const pids = { ...stackServicePids(root, STACK_SERVICES), ...runningOnly(stackServicePids(root, SECOND_INSTANCES)) };
    const databaseBefore = await trySampleDatabase(settings.databaseUrl, { settle: true });
    const before = sampleAll(pids);
    const sent = await sendScans(settings, plan.events, producer);
    await reader.receivedAll(plan.expectedCharges, 600_000);
    const processes = usageBetween(before, sampleAll(pids), plan.events.length);
    const dftDelivery = await dftDeliveryFigures(settings, plan, sent, 600_000);
    // To the last DFT^P03 ACK: everything the scans caused, delivery included (the console's projection
    // and the relays' marks are done by then, or within a few records).
    const database = databaseUsageBetween(databaseBefore, await trySampleDatabase(settings.databaseUrl, { settle: true }), plan.events.length);
    return { ...figures({ settings, plan, casesSeconds, sent, received: reader.received, stamps: reader.stamps, processes }), statistics, dftDelivery, database };
  } finally {
    await reader.consumer.disconnect();
    await producer.disconnect();
  }
}

/** The entries with a process (second instances are there only when the stack was scaled). */
const runningOnly = (pids) => Object.fromEntries(Object.entries(pids).filter(([, pid]) => pid !== undefined));

// ---- what is sent ----

/**
 * Each case has settings.specimensPerCase 88305 specimens with settings.slidesPerSpecimen slides each;
 * every slide gets one passing scan-completed event, so each specimen yields exactly one 0753T charge.
 */
function benchPlan(settings, run) {
  const cases = Array.from({ length: settings.cases }, (_, i) => `B${run}-${i + 1}`);
  const specimenIds = 'ABCDEFGHIJ'.slice(0, settings.specimensPerCase).split('');
  const events = [];
  for (const acc of cases) for (const s of specimenIds) for (let n = 1; n <= settings.slidesPerSpecimen; n++) {
    events.push({ chargeKey: `${acc}/${s}/0753T`, event: scanCompleted(barcode(acc, s, n)) });
  }
  return { run, cases, specimenIds, events, expectedCharges: cases.length * specimenIds.length };
}

const barcode = (acc, sp, n) => `${acc}-${sp}1-${n}`;

function scanCompleted(slideBarcode) {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode,
    scannerId: 'BENCH-1', scanId, purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.9, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0 },
  };
}

// ---- cases (not timed as part of the scan -> charge latency) ----

/** Sends the cases to accession as the LIS integration; returns the seconds it took. */
async function createCases(settings, plan) {
  const t0 = performance.now();
  await pool(plan.cases, settings.concurrency, async (acc) => call('POST', `${settings.accessionUrl}/cases`, caseOrder(settings, plan, acc), await bearer('lis-integration')));
  return (performance.now() - t0) / 1000;
}

const BENCH_PATIENT = { familyName: 'BENCH', givenName: 'PAT', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'BENCHHOSP' };

function caseOrder(settings, plan, acc) {
  return {
    // What a DFT^P03 needs (patient name, payer plan), so billing delivers every charge as in a lab.
    accessionNumber: acc, patientId: `MRN-${acc}`.slice(0, 15), patient: BENCH_PATIENT, payer: { payerId: settings.payer, name: settings.payer, plan: `${settings.payer}-PPO` }, collectionDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), diagnoses: ['C61'],
    specimens: plan.specimenIds.map((s) => ({ specimenId: s, primaryCpt: '88305', units: 1 })),
    slides: plan.specimenIds.flatMap((s) => Array.from({ length: settings.slidesPerSpecimen }, (_, n) => ({ barcode: barcode(acc, s, n + 1), specimenId: s }))),
  };
}

/** Waits until billing knows the last case, so scan latency is not case-ingest latency. */
async function waitUntilBillingKnows(settings, acc) {
  for (;;) {
    const res = await fetch(`${settings.billingUrl}/cases/${acc}/billing`, { headers: await bearer('ops-viewer') });
    if (res.ok) return;
    await sleep(200);
  }
}

/**
 * The planner's statistics as a server that runs autovacuum keeps them: when the database's server has
 * autovacuum off (this machine's PostgreSQL does), tables the run just filled were never analyzed and
 * the planner guesses from empty statistics (billing's case read then scans every scan once per case:
 * 200 ms instead of 9 ms for 100 cases). So the run ANALYZEs the database before the scans, as
 * autovacuum would have within its naptime; not timed. Needs DATABASE_URL to be the stack's database
 * (as the administrator); when it cannot, the run goes on and says so.
 */
async function statisticsAsAutovacuumKeepsThem(settings, lastCase) {
  const db = new pg.Client({ connectionString: settings.databaseUrl });
  try {
    await db.connect();
    const known = (await db.query(`SELECT 1 FROM billing.billing_case WHERE accession_number = $1`, [lastCase])).rowCount === 1;
    if (!known) throw new Error(`DATABASE_URL is not the stack's database (billing there does not know case ${lastCase})`);
    const [{ autovacuum }] = (await db.query(`SELECT current_setting('autovacuum') AS autovacuum`)).rows;
    if (autovacuum === 'on') return { autovacuum, analyzedBeforeScans: false };
    const t0 = performance.now();
    await db.query('ANALYZE');
    return { autovacuum, analyzedBeforeScans: true, analyzeSeconds: Math.round(performance.now() - t0) / 1000 };
  } catch (e) {
    console.error(`bench: could not check or refresh the planner's statistics (${e.message}); going on without`);
    return { analyzedBeforeScans: false, error: e.message };
  } finally {
    await db.end().catch(() => undefined);
  }
}

// ---- DFT^P03 delivery of the run's charges ----

/**
 * How the run's charges went out as DFT^P03 to the billing system (the stack's simulator, or the one
 * BILLING_DFT_HOST names): waits until no delivery of the run's cases is pending or in flight (or timeoutMs),
 * then reports the first and last ACK after the first scan was sent and the deliveries per second
 * between them, from billing.delivery_attempt (the database's clock; the machine's, as the scans').
 * Read from DATABASE_URL, the stack's database; { off: true } when nothing was queued (delivery off).
 */
async function dftDeliveryFigures(settings, plan, sent, timeoutMs) {
  const db = new pg.Client({ connectionString: settings.databaseUrl });
  const deadline = Date.now() + timeoutMs;
  try {
    await db.connect();
    const count = async () =>
      (await db.query(
        `SELECT count(*)::int AS queued, count(*) FILTER (WHERE state = 'acked')::int AS acked, count(*) FILTER (WHERE state IN ('pending', 'in-flight'))::int AS open
           FROM billing.delivery WHERE accession_number = ANY($1)`,
        [plan.cases],
      )).rows[0];
    // Queued with the charge in one transaction, so every delivery of the run exists by now: wait until
    // none is pending or in flight (a failed one, waiting for a person, does not hold the run for the timeout).
    let counts = await count();
    while (counts.open > 0 && Date.now() < deadline) {
      await sleep(250);
      counts = await count();
    }
    if (counts.queued === 0) return { off: true };
    const { rows: [acks] } = await db.query(
      `SELECT min(a.finished_at) AS first, max(a.finished_at) AS last, count(*) FILTER (WHERE a.outcome <> 'AA')::int AS "notAA"
         FROM billing.delivery_attempt a JOIN billing.delivery d ON d.id = a.delivery_id WHERE d.accession_number = ANY($1)`,
      [plan.cases],
    );
    const firstScanWall = Math.min(...sent.firstSentWall.values());
    const seconds = (acks.last.getTime() - acks.first.getTime()) / 1000;
    return {
      queued: counts.queued, acked: counts.acked, attemptsNotAA: acks.notAA,
      firstAckAfterFirstScanSeconds: (acks.first.getTime() - firstScanWall) / 1000,
      lastAckAfterFirstScanSeconds: (acks.last.getTime() - firstScanWall) / 1000,
      deliveriesPerSecond: perSecond(counts.acked, seconds),
    };
  } catch (e) {
    console.error(`bench: could not read the DFT^P03 deliveries (${e.message})`);
    return { error: e.message };
  } finally {
    await db.end().catch(() => undefined);
  }
}

// ---- scans, timed ----

/** Sends the scan events (paced when settings.rate > 0); returns chargeKey -> ms its first scan was sent, and when sending started and ended. */
async function sendScans(settings, events, producer) {
  // scanner-events wants an API key (X-API-Key): SCANNER_API_KEY, else the stack's development key.
  const apiKey = scannerDevKey();
  const firstSent = new Map();
  const firstSentWall = new Map();
  const batches = [];
  for (let i = 0; i < events.length; i += settings.batch) batches.push(events.slice(i, i + settings.batch));
  const start = performance.now();
  let sentEvents = 0;
  await pool(batches, settings.rate > 0 ? 1 : settings.concurrency, async (batch) => {
    if (settings.rate > 0) {
      const due = start + (sentEvents / settings.rate) * 1000;
      sentEvents += batch.length;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    const sentAt = performance.now();
    const sentWallMs = Date.now();
    for (const e of batch) if (!firstSent.has(e.chargeKey)) firstSent.set(e.chargeKey, sentAt);
    for (const e of batch) if (!firstSentWall.has(e.chargeKey)) firstSentWall.set(e.chargeKey, sentWallMs);
    await sendScanBatch(settings, batch, producer, apiKey);
  });
  return { firstSent, firstSentWall, start, end: performance.now() };
}

function sendScanBatch(settings, batch, producer, apiKey) {
  if (settings.via === 'kafka') {
    return producer.send({ topic: 'scanner.ingress.v1', messages: batch.map((e) => ({ key: e.event.slideBarcode, value: JSON.stringify(e.event) })) });
  }
  return call('POST', `${settings.scannerUrl}/scan-events/batch`, { events: batch.map((e) => e.event) }, { 'x-api-key': apiKey });
}

// ---- charges read ----

/** Reads billing.charges.v1 as billing-system: chargeKey -> ms first read, for this run's cases. */
async function startChargeReader(settings, run) {
  const consumer = kafkaAs('billing-system', settings.kafkaBrokers).consumer({ groupId: `billing-system-bench-${run}` });
  // received: chargeKey -> when read (performance.now); stamps: the wall-clock times of its stages.
  const reader = { consumer, received: new Map(), stamps: new Map() };
  await consumer.connect();
  await consumer.subscribe({ topic: 'billing.charges.v1', fromBeginning: false });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = JSON.parse(message.value.toString());
      if (!value.data?.accessionNumber?.startsWith(`B${run}`) || reader.received.has(value.data.chargeKey)) return;
      reader.received.set(value.data.chargeKey, performance.now());
      // Billing's decision (postedAt), the outbox relay's send (the record's CreateTime) and this read.
      reader.stamps.set(value.data.chargeKey, { decided: Date.parse(value.data.postedAt), published: Number(message.timestamp), read: Date.now() });
    },
  });
  await joined;
  reader.receivedAll = async (count, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (reader.received.size < count && Date.now() < deadline) await sleep(100);
  };
  return reader;
}

// ---- figures ----

/**
 * Where the latency goes, from wall-clock stamps (one machine, one clock): scan sent -> billing's
 * decision (scanner-events, its relay, qc, its relay, billing's transaction), decision -> the charge
 * sent to Kafka by billing's outbox relay, and sent -> read by this reader. Medians and p99s.
 */
function latencyStages(sentWall, stamps) {
  const rows = [...stamps].filter(([key]) => sentWall.has(key)).map(([key, s]) => ({ sent: sentWall.get(key), ...s }));
  const stage = (from, to) => latencySummary(rows.map((r) => r[to] - r[from]));
  return { sentToDecided: stage('sent', 'decided'), decidedToPublished: stage('decided', 'published'), publishedToRead: stage('published', 'read') };
}

function figures({ settings, plan, casesSeconds, sent, received, stamps, processes }) {
  const end = [...received.values()].reduce((a, b) => Math.max(a, b), -Infinity);
  const seconds = (end - sent.start) / 1000;
  return {
    cases: plan.cases.length, caseIngestSeconds: +casesSeconds.toFixed(2),
    scanEvents: plan.events.length, scanSendSeconds: +((sent.end - sent.start) / 1000).toFixed(2),
    chargesExpected: plan.expectedCharges, chargesReceived: received.size,
    endToEndSeconds: +seconds.toFixed(2),
    scanEventsPerSecond: perSecond(plan.events.length, seconds),
    chargesPerSecond: perSecond(received.size, seconds),
    latencyMs: latencySummary([...received].map(([key, t]) => t - sent.firstSent.get(key))),
    latencyStagesMs: latencyStages(sent.firstSentWall, stamps),
    processes,
  };
}
