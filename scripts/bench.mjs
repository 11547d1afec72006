#!/usr/bin/env node
// Benchmark (not a test): drives N cases and their scan events through the RUNNING stack
// (npm run stack) and prints end-to-end throughput and latency from scan-completed to charge, and the
// RSS and CPU of each service process; with --baseline, also a plain kafkajs + pg pipeline on the same
// broker and database (scripts/bench/baseline.mjs) and slidecharge's figures as a fraction of it.
//
//   node scripts/bench.mjs [--cases 200] [--specimens 2] [--slides 2] [--via http|kafka] [--batch 100] [--concurrency 8] [--rate 0] [--payer AETNA]
//                          [--baseline | --baseline-only] [--baseline-events 20000]
//
// --payer: the cases' payer id (default AETNA, billed as decided; MEDICARE or BCBS charges are held
// for review by the built-in policy set and never reach the topic, so the benchmark would not end).
// --rate N paces scan events at about N per second (0 = as fast as they can be sent: a burst, whose
// latency is mostly queueing); a paced run below the throughput shows the latency of one event.
// --baseline: after the stack's run, the baseline pipeline with --baseline-events events (a burst,
// --batch records per send, --concurrency sends at once), then the ratio of the two.
// --baseline-only: the baseline alone (no stack needed: the broker, the database of DATABASE_URL, and
// libs/kafka-client built, e.g. npx nx run kafka-client:build).
//
// Each case has --specimens 88305 specimens with --slides slides each; every slide gets one passing
// scan-completed event, so each specimen yields exactly one 0753T charge. Latency of a charge =
// time it is read from billing.charges.v1 minus the time the first scan of its specimen was sent;
// latencyStagesMs splits it at billing's decision (the charge's postedAt) and at the relay's send (the
// record's timestamp).
// Before the scans, when the server runs without autovacuum (this machine's PostgreSQL), the run
// ANALYZEs the stack's database (DATABASE_URL, as the administrator) as autovacuum would have: the
// output's `statistics` says whether it did.
// dftDelivery: after the charges, waits until billing has delivered every one as DFT^P03 (acked by the
// billing system; read from DATABASE_URL) and says when the first and last ACK came and at what rate.
// processes: RSS of each service at the end of the run and its CPU seconds per 1,000 scan events
// (from /proc, between the first scan sent and the last charge read).
// database: per scan event, from the first scan sent to the last DFT^P03 ACK (the baseline: per
// event, its whole run), what PostgreSQL did: WAL records, WAL bytes, full-page images, commits, blocks
// read into shared buffers and found there, and
// with pg_stat_statements installed (and preloaded) the WAL records by role, i.e. by service
// (scripts/bench/database-usage.mjs). Nothing else should write to the server during a run.
import os from 'node:os';
import { benchSettings, parseArgs } from './bench/args.mjs';
import { runBaseline } from './bench/baseline.mjs';
import { runSlidecharge } from './bench/slidecharge.mjs';
import { ratio } from './bench/stats.mjs';

const settings = benchSettings(parseArgs(process.argv.slice(2)), process.env);
const shownSettings = settingsShown(settings);
const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;

const slidecharge = settings.mode === 'baseline' ? undefined : await runSlidecharge(settings);
const baseline = settings.mode === 'slidecharge' ? undefined : await runBaseline(settings);

const output = { settings: { ...shownSettings, machine } };
if (settings.mode === 'slidecharge') Object.assign(output, slidecharge);
else Object.assign(output, { slidecharge, baseline, ...(slidecharge && { ratio: ratios(slidecharge, baseline) }) });
console.log(JSON.stringify(output, null, 2));
process.exit(problems(slidecharge, baseline) ? 1 : 0);

/** The settings the run used (not the database URL, which may hold a password). */
function settingsShown({ databaseUrl: _secret, baselineEvents, ...stack }) {
  const kafka = { kafkaBrokers: stack.kafkaBrokers, mode: stack.mode };
  if (settings.mode === 'baseline') return { ...kafka, baselineEvents, batch: stack.batch, concurrency: stack.concurrency };
  return settings.mode === 'both' ? { ...stack, baselineEvents } : stack;
}

/** slidecharge's figures as a fraction of the baseline's (throughput: higher is better; latency: lower). */
function ratios(sc, base) {
  return {
    eventsPerSecond: ratio(sc.scanEventsPerSecond, base.eventsPerSecond),
    latencyP50: ratio(sc.latencyMs.p50, base.latencyMs.p50),
    latencyP99: ratio(sc.latencyMs.p99, base.latencyMs.p99),
    // How many times the baseline's WAL records one scan event costs (lower is better).
    ...(sc.database && base.database && { walRecordsPerEvent: ratio(sc.database.walRecords, base.database.walRecords) }),
  };
}

function problems(sc, base) {
  const found = [];
  if (sc && sc.chargesReceived !== sc.chargesExpected) found.push(`missing ${sc.chargesExpected - sc.chargesReceived} charges`);
  if (sc?.dftDelivery?.queued > 0 && sc.dftDelivery.acked < sc.dftDelivery.queued) found.push(`DFT^P03: ${sc.dftDelivery.queued - sc.dftDelivery.acked} deliveries not acked`);
  if (base && base.eventsReceived !== base.events) found.push(`baseline: missing ${base.events - base.eventsReceived} events`);
  if (base && Object.values(base.rowsPerHop).some((n) => n !== base.events)) found.push(`baseline: rows per hop ${JSON.stringify(base.rowsPerHop)}, expected ${base.events} each`);
  for (const problem of found) console.error(problem);
  return found.length > 0;
}
