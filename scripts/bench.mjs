#!/usr/bin/env node
// Benchmark (not a test): drives N cases and their scan events through the RUNNING stack
// (npm run stack) and prints end-to-end throughput and latency from scan-completed to charge.
//
//   node scripts/bench.mjs [--cases 200] [--specimens 2] [--slides 2] [--via http|kafka] [--batch 100] [--concurrency 8] [--rate 0] [--payer AETNA]
//
// --payer: the cases' payer id (default AETNA, billed as decided; MEDICARE or BCBS charges are held
// for review by the built-in policy set and never reach the topic, so the benchmark would not end).
// --rate N paces scan events at about N per second (0 = as fast as they can be sent: a burst, whose
// latency is mostly queueing); a paced run below the throughput shows the latency of one event.
//
// Each case has --specimens 88305 specimens with --slides slides each; every slide gets one passing
// scan-completed event, so each specimen yields exactly one 0753T charge. Latency of a charge =
// time it is read from billing.charges.v1 minus the time the first scan of its specimen was sent.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import kafkajs from 'kafkajs';
import { bearer, scannerDevKey } from './lib/identity.mjs';

const { Kafka, logLevel } = kafkajs;
// The one builder of kafkajs client options (libs/kafka-client), from the stack's build output.
const require = createRequire(import.meta.url);
const { kafkaClientOptions, kafkaConnectionFromEnv } = require('../dist/services/billing/libs/kafka-client/src/kafka-connection.js');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const settings = {
  cases: Number(args.cases ?? 200),
  specimensPerCase: Number(args.specimens ?? 2),
  slidesPerSpecimen: Number(args.slides ?? 2),
  via: args.via ?? 'http',
  batch: Number(args.batch ?? 100),
  concurrency: Number(args.concurrency ?? 8),
  rate: Number(args.rate ?? 0),
  payer: args.payer ?? 'AETNA',
  accessionUrl: process.env.ACCESSION_URL ?? 'http://127.0.0.1:3001',
  scannerUrl: process.env.SCANNER_URL ?? 'http://127.0.0.1:3002',
  billingUrl: process.env.BILLING_URL ?? 'http://127.0.0.1:3004',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
};

// scanner-events wants an API key (X-API-Key): SCANNER_API_KEY, else the stack's development key; the
// LIS integration and staff sign in with the development identity provider.
const scannerApiKey = scannerDevKey();
const run = randomUUID().slice(0, 6).toUpperCase();
const call = async (method, url, body, headers = {}) => {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status} ${await res.text()}`);
  return res.json();
};
async function pool(items, size, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

// Kafka as the principals that really read charges and write raw scan events: billing-system and
// scanner-middleware of the bundled broker (scripts/kafka.sh env), or the KAFKA_* settings given.
function kafkaAs(principal) {
  const env = process.env.KAFKA_SASL_USERNAME ? process.env : kafkaEnvOf(principal);
  return new Kafka({ ...kafkaClientOptions(kafkaConnectionFromEnv(env)), clientId: `bench-${principal}`, logLevel: logLevel.NOTHING });
}
function kafkaEnvOf(principal) {
  const port = settings.kafkaBrokers.split(':')[1];
  const printed = execFileSync('bash', [new URL('kafka.sh', import.meta.url).pathname, 'env', principal], { env: { ...process.env, KAFKA_PORT: port }, encoding: 'utf8' });
  return Object.fromEntries(printed.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}
const received = new Map(); // chargeKey -> ms
const consumer = kafkaAs('billing-system').consumer({ groupId: `billing-system-bench-${run}` });
await consumer.connect();
await consumer.subscribe({ topic: 'billing.charges.v1', fromBeginning: false });
const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
await consumer.run({
  eachMessage: async ({ message }) => {
    const value = JSON.parse(message.value.toString());
    if (value.data?.accessionNumber?.startsWith(`B${run}`) && !received.has(value.data.chargeKey)) received.set(value.data.chargeKey, performance.now());
  },
});
await joined;
const producer = kafkaAs('scanner-middleware').producer();
await producer.connect();

// 1. Cases (not timed as part of the scan->charge latency).
const cases = Array.from({ length: settings.cases }, (_, i) => `B${run}-${i + 1}`);
const specimenIds = 'ABCDEFGHIJ'.slice(0, settings.specimensPerCase).split('');
const barcode = (acc, sp, n) => `${acc}-${sp}1-${n}`;
const t0 = performance.now();
await pool(cases, settings.concurrency, async (acc) =>
  call('POST', `${settings.accessionUrl}/cases`, {
    accessionNumber: acc, patientId: `MRN-${acc}`, payer: { payerId: settings.payer }, collectionDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), diagnoses: ['C61'],
    specimens: specimenIds.map((s) => ({ specimenId: s, primaryCpt: '88305', units: 1 })),
    slides: specimenIds.flatMap((s) => Array.from({ length: settings.slidesPerSpecimen }, (_, n) => ({ barcode: barcode(acc, s, n + 1), specimenId: s }))),
  }, await bearer('lis-integration')),
);
const casesSeconds = (performance.now() - t0) / 1000;
// Wait until billing knows the last case, so scan latency is not case-ingest latency.
for (const acc of [cases[cases.length - 1]]) {
  for (;;) {
    const res = await fetch(`${settings.billingUrl}/cases/${acc}/billing`, { headers: await bearer('ops-viewer') });
    if (res.ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// 2. Scans, timed.
const events = [];
for (const acc of cases) for (const s of specimenIds) for (let n = 1; n <= settings.slidesPerSpecimen; n++) {
  const scanId = randomUUID();
  events.push({
    chargeKey: `${acc}/${s}/0753T`,
    event: {
      eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode: barcode(acc, s, n),
      scannerId: 'BENCH-1', scanId, purpose: 'diagnostic',
      image: { imageId: scanId, focusScore: 0.9, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0 },
    },
  });
}
const firstSent = new Map();
const batches = [];
for (let i = 0; i < events.length; i += settings.batch) batches.push(events.slice(i, i + settings.batch));
const start = performance.now();
let sentEvents = 0;
await pool(batches, settings.rate > 0 ? 1 : settings.concurrency, async (batch) => {
  if (settings.rate > 0) {
    const due = start + (sentEvents / settings.rate) * 1000;
    sentEvents += batch.length;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const sentAt = performance.now();
  for (const e of batch) if (!firstSent.has(e.chargeKey)) firstSent.set(e.chargeKey, sentAt);
  if (settings.via === 'kafka') {
    await producer.send({ topic: 'scanner.ingress.v1', messages: batch.map((e) => ({ key: e.event.slideBarcode, value: JSON.stringify(e.event) })) });
  } else {
    await call('POST', `${settings.scannerUrl}/scan-events/batch`, { events: batch.map((e) => e.event) }, { 'x-api-key': scannerApiKey });
  }
});
const sendSeconds = (performance.now() - start) / 1000;
const expected = cases.length * specimenIds.length;
const deadline = Date.now() + 600_000;
while (received.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const end = Math.max(...received.values());
const latencies = [...received.entries()].map(([k, t]) => t - firstSent.get(k)).sort((a, b) => a - b);
await consumer.disconnect();
await producer.disconnect();

const seconds = (end - start) / 1000;
const result = {
  settings: { ...settings, machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}` },
  cases: cases.length, caseIngestSeconds: +casesSeconds.toFixed(2),
  scanEvents: events.length, scanSendSeconds: +sendSeconds.toFixed(2),
  chargesExpected: expected, chargesReceived: received.size,
  endToEndSeconds: +seconds.toFixed(2),
  scanEventsPerSecond: +(events.length / seconds).toFixed(1),
  chargesPerSecond: +(received.size / seconds).toFixed(1),
  latencyMs: { p50: Math.round(pct(latencies, 50)), p90: Math.round(pct(latencies, 90)), p99: Math.round(pct(latencies, 99)), max: Math.round(latencies[latencies.length - 1]) },
};
console.log(JSON.stringify(result, null, 2));
if (received.size !== expected) { console.error(`missing ${expected - received.size} charges`); process.exit(1); }
