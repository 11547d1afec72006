// The baseline of the benchmark: a plain three-hop pipeline written with kafkajs and pg, no framework,
// on the same broker, database and connection security (SASL_SSL) as the services, to show what this
// machine does raw. A producer writes N events to the first topic; three worker processes
// (baseline-worker.mjs) each consume a batch, write one row per event in one transaction, and publish
// one record per event to the next topic; the benchmark reads the last topic.
//
//   producer -> bench.baseline.hop1.v1 -> worker hop1 -> bench.baseline.hop2.v1 -> worker hop2
//            -> bench.baseline.hop3.v1 -> worker hop3 -> bench.baseline.out.v1 -> benchmark
//
// The topics are not in the product's topic table (libs/contracts) and have no ACLs: everything here
// connects as the admin principal (a super user), with the services' SASL_SSL settings. The bench
// creates the topics (3 partitions, as the product's) and the schema bench_baseline (one table per
// hop) in the services' database at the start, and deletes them at the end.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { databaseUsageBetween, trySampleDatabase } from './database-usage.mjs';
import { kafkaEnvOf, kafkaFromEnv } from './kafka.mjs';
import { sampleAll, usageBetween } from './process-usage.mjs';
import { latencySummary, perSecond } from './stats.mjs';

export const BASELINE_TOPICS = ['bench.baseline.hop1.v1', 'bench.baseline.hop2.v1', 'bench.baseline.hop3.v1', 'bench.baseline.out.v1'];
export const BASELINE_SCHEMA = 'bench_baseline';
const PARTITIONS = 3;
const PRINCIPAL = 'admin';
const HOPS = [1, 2, 3].map((n) => ({ name: `hop${n}`, from: BASELINE_TOPICS[n - 1], to: BASELINE_TOPICS[n], table: `${BASELINE_SCHEMA}.hop${n}_events` }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the baseline with settings.baselineEvents events and returns its figures. */
export async function runBaseline(settings) {
  const run = randomUUID().slice(0, 6);
  const kafkaEnv = kafkaEnvOf(PRINCIPAL, settings.kafkaBrokers);
  const kafka = kafkaFromEnv(kafkaEnv, 'bench-baseline');
  const admin = kafka.admin();
  const db = new pg.Client({ connectionString: settings.databaseUrl });
  await admin.connect();
  await db.connect();
  const workers = [];
  let reader;
  try {
    await freshTopics(admin);
    await createSchema(db);
    reader = await startReader(kafka, `bench-baseline-out-${run}`);
    workers.push(...startWorkers(settings, kafkaEnv, run));
    await Promise.all(workers.map((w) => Promise.race([w.ready, w.failed])));
    return await measure(settings, kafka, db, reader, workers);
  } finally {
    await stopWorkers(workers);
    await reader?.consumer.disconnect();
    await cleanUp(admin, db, run);
  }
}

async function measure(settings, kafka, db, reader, workers) {
  const events = baselineEvents(settings.baselineEvents);
  const pids = Object.fromEntries(workers.map((w) => [`baseline-${w.name}`, w.child.pid]));
  const databaseBefore = await trySampleDatabase(settings.databaseUrl, { settle: true });
  const before = sampleAll(pids);
  const sentAt = await produce(kafka, events, settings);
  await Promise.race([reader.receivedAll(events.length, 600_000), ...workers.map((w) => w.failed)]);
  const after = sampleAll(pids);
  const database = databaseUsageBetween(databaseBefore, await trySampleDatabase(settings.databaseUrl, { settle: true }), events.length);
  return { ...figures({ events, sentAt, reader, rows: await countRows(db), processes: usageBetween(before, after, events.length), settings }), database };
}

// ---- topics and tables ----

/** Deletes the baseline's topics left by an earlier run, waits until they are gone, creates them empty. */
async function freshTopics(admin) {
  await deleteTopics(admin);
  await admin.createTopics({ waitForLeaders: true, topics: BASELINE_TOPICS.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: -1 })) });
}

async function deleteTopics(admin) {
  const present = () => admin.listTopics().then((all) => BASELINE_TOPICS.filter((t) => all.includes(t)));
  const old = await present();
  if (old.length === 0) return;
  await admin.deleteTopics({ topics: old });
  for (let i = 0; i < 150 && (await present()).length > 0; i++) await sleep(200);
}

async function createSchema(db) {
  await db.query(`DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE; CREATE SCHEMA ${BASELINE_SCHEMA}`);
  for (const hop of HOPS) {
    await db.query(`CREATE TABLE ${hop.table} (event_id uuid PRIMARY KEY, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
  }
}

async function countRows(db) {
  const counts = await Promise.all(HOPS.map((hop) => db.query(`SELECT count(*)::int AS n FROM ${hop.table}`)));
  return Object.fromEntries(HOPS.map((hop, i) => [hop.name, counts[i].rows[0].n]));
}

async function cleanUp(admin, db, run) {
  await db.query(`DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE`);
  await db.end();
  await deleteTopics(admin);
  await admin.deleteGroups([...HOPS.map((hop) => groupId(hop, run)), `bench-baseline-out-${run}`]).catch(() => undefined);
  await admin.disconnect();
}

// ---- workers ----

const groupId = (hop, run) => `bench-baseline-${hop.name}-${run}`;

/** Forks the three workers, as the admin principal ({ name, child, ready, failed } each). */
function startWorkers(settings, kafkaEnv, run) {
  return HOPS.map((hop) => forkWorker(hop, { ...hop, groupId: groupId(hop, run), databaseUrl: settings.databaseUrl, partitions: PARTITIONS }, kafkaEnv));
}

function forkWorker(hop, config, kafkaEnv) {
  const child = fork(new URL('./baseline-worker.mjs', import.meta.url), [JSON.stringify(config)], { env: { ...process.env, ...kafkaEnv } });
  const ready = new Promise((resolve) => child.on('message', (m) => m.type === 'ready' && resolve()));
  const failed = new Promise((_, reject) => {
    child.on('message', (m) => m.type === 'error' && reject(new Error(`baseline worker ${hop.name}: ${m.message}`)));
    child.on('exit', (code) => code !== 0 && reject(new Error(`baseline worker ${hop.name} exited with ${code}`)));
  });
  failed.catch(() => undefined); // awaited where it matters; a failure after the run is not an unhandled rejection
  return { name: hop.name, child, ready, failed };
}

async function stopWorkers(workers) {
  await Promise.all(workers.map((w) => stopWorker(w.child)));
}

function stopWorker(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'stop' });
  const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return exited.finally(() => clearTimeout(kill));
}

// ---- events in and out ----

/** N events shaped like a scanner's scan.completed (about the same size), each with its own id. */
function baselineEvents(count) {
  return Array.from({ length: count }, (_, i) => {
    const scanId = randomUUID();
    return {
      eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode: `BASE-${i + 1}-A1-1`,
      scannerId: 'BENCH-BASELINE', scanId, purpose: 'diagnostic',
      image: { imageId: scanId, focusScore: 0.9, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0 },
    };
  });
}

/** Sends the events to the first topic (settings.batch per send, settings.concurrency sends at once); eventId -> ms sent. */
async function produce(kafka, events, settings) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sentAt = new Map();
  const batches = [];
  for (let i = 0; i < events.length; i += settings.batch) batches.push(events.slice(i, i + settings.batch));
  let next = 0;
  await Promise.all(Array.from({ length: settings.concurrency }, async () => {
    while (next < batches.length) await sendBatch(producer, batches[next++], sentAt);
  }));
  await producer.disconnect();
  return sentAt;
}

async function sendBatch(producer, batch, sentAt) {
  const now = performance.now();
  for (const e of batch) sentAt.set(e.eventId, now);
  await producer.send({ topic: BASELINE_TOPICS[0], acks: -1, messages: batch.map((e) => ({ key: e.eventId, value: JSON.stringify(e) })) });
}

/** Reads the last topic: eventId -> ms first received, and how many records came more than once. */
async function startReader(kafka, group) {
  const consumer = kafka.consumer({ groupId: group });
  const reader = { consumer, received: new Map(), duplicates: 0, waiting: undefined };
  await consumer.connect();
  await consumer.subscribe({ topic: BASELINE_TOPICS[3], fromBeginning: true });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({ partitionsConsumedConcurrently: PARTITIONS, eachBatch: async ({ batch }) => record(reader, batch.messages) });
  await joined;
  reader.receivedAll = (count, timeoutMs) => receivedAll(reader, count, timeoutMs);
  return reader;
}

function record(reader, messages) {
  const now = performance.now();
  for (const m of messages) {
    const id = m.key.toString();
    if (reader.received.has(id)) reader.duplicates++;
    else reader.received.set(id, now);
  }
  if (reader.waiting && reader.received.size >= reader.waiting.count) reader.waiting.resolve();
}

/** Resolves when count events were received, or after timeoutMs (the figures then show what is missing). */
function receivedAll(reader, count, timeoutMs) {
  if (reader.received.size >= count) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    reader.waiting = { count, resolve: () => { clearTimeout(timer); resolve(); } };
  });
}

// ---- figures ----

function figures({ events, sentAt, reader, rows, processes, settings }) {
  if (reader.received.size === 0) throw new Error(`baseline: none of ${events.length} events reached ${BASELINE_TOPICS[3]}`);
  const start = [...sentAt.values()].reduce((a, b) => Math.min(a, b));
  const end = [...reader.received.values()].reduce((a, b) => Math.max(a, b));
  const seconds = (end - start) / 1000;
  return {
    pipeline: `kafkajs + pg, 3 worker processes (eachBatch, ${PARTITIONS} partitions in parallel, one transaction per batch), principal ${PRINCIPAL}, SASL_SSL`,
    events: events.length, batch: settings.batch, concurrency: settings.concurrency,
    eventsReceived: reader.received.size, duplicatesReceived: reader.duplicates, rowsPerHop: rows,
    endToEndSeconds: +seconds.toFixed(2),
    eventsPerSecond: perSecond(reader.received.size, seconds),
    latencyMs: latencySummary([...reader.received].map(([id, t]) => t - sentAt.get(id))),
    processes,
  };
}
