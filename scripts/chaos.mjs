#!/usr/bin/env node
// The fault campaign (issue #11): drives cases and their scans through the RUNNING stack (npm run stack)
// the way the lab's systems do (cases over HTTP and as HL7 orders over MLLP; scans over HTTP, on the
// ingress topic and as DICOM JSON; some cases cancelled once charged; a few malformed messages), while
// it SIGKILLs and restarts every service, SIGKILLs and restarts the Kafka broker and stops PostgreSQL in
// immediate mode and starts it again, and (--network-faults) resets, blackholes or slows the connections
// between the services and Kafka or Postgres through the fault proxies scripts/chaos-ci.sh puts there. Then it waits for quiescence and checks the ledger
// (scripts/chaos/ledger.mjs): every expected charge exactly once, with one stable id, on the topic, in
// billing's API and in the DFT^P03 the billing system accepted; every credit once; nothing left in an
// outbox or unconsumed; dead letters only for the malformed inputs. Exits 1 on any loss, duplicate or
// leftover.
//
//   node scripts/chaos.mjs [--cases 250] [--specimens 2] [--slides 4] [--rate 20] [--seed 1]
//                          [--kills 5] [--broker-restarts 1] [--postgres-restarts 1] [--network-faults 0] [--interval 4]
//                          [--cancel-share 0.05] [--bad-inputs 5] [--report tmp/chaos-report.json]
//   npm run chaos            the short campaign CI runs (2,000 scan events, each service killed once,
//                            one broker and one Postgres restart)
//   npm run chaos:long       the long one (docs/reliability.md)
//
// It restarts the PostgreSQL cluster that serves DATABASE_URL (pg_ctlcluster; run it as root or the
// postgres user) and the broker of scripts/kafka.sh: never point it at a server other people use.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from './bench/args.mjs';
import { kafkaAs } from './bench/kafka.mjs';
import { faultLabel, postgresCluster, runFaults } from './chaos/faults.mjs';
import { checkLedger, quiesce, startTopicReader, waitForTopic } from './chaos/ledger.mjs';
import { campaignPlan, faultSchedule } from './chaos/plan.mjs';
import { call, cancelCase, postDicom, postScans, produceBadInputs, produceScans, putCase, retrying, scanEvent, sendHl7Order } from './chaos/traffic.mjs';
import { bearer } from './lib/identity.mjs';
import { pool } from './lib/pool.mjs';

const root = new URL('../', import.meta.url).pathname;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function settingsOf(args) {
  return {
    cases: Number(args.cases ?? 250), specimens: Number(args.specimens ?? 2), slides: Number(args.slides ?? 4),
    rate: Number(args.rate ?? 20), seed: Number(args.seed ?? 1), kills: Number(args.kills ?? 5),
    brokerRestarts: Number(args['broker-restarts'] ?? 1), postgresRestarts: Number(args['postgres-restarts'] ?? 1), networkFaults: Number(args['network-faults'] ?? 0),
    intervalMs: Number(args.interval ?? 4) * 1000, cancelShare: Number(args['cancel-share'] ?? 0.05), badInputs: Number(args['bad-inputs'] ?? 5),
    report: args.report ?? 'tmp/chaos-report.json',
    // The Kafka nodes of the campaign's broker (scripts/chaos-ci.sh --cluster N sets it).
    kafkaNodes: Number(process.env.CHAOS_KAFKA_NODES ?? 1),
  };
}

async function sendCases(ctx) {
  const { plan, settings } = ctx;
  await pool(plan.cases, 4, (c) => (c.via === 'hl7' ? sendHl7Order(ctx, c.accession, plan.specimens, settings.slides) : putCase(ctx, c.accession, plan.specimens, settings.slides)));
  ctx.log(`cases sent: ${plan.cases.length} (${plan.cases.filter((c) => c.via === 'hl7').length} as HL7 orders)`);
}

/** Chunks of up to 25 scans of one channel, each sent when the pace says (settings.rate events/s). */
async function sendScans(ctx) {
  const chunks = [];
  for (const scan of ctx.plan.scans) {
    const last = chunks.at(-1);
    if (last && last.via === scan.via && scan.via !== 'dicom' && last.scans.length < 25) last.scans.push(scan);
    else chunks.push({ via: scan.via, scans: [scan] });
  }
  const start = Date.now();
  let due = 0;
  await pool(chunks, 4, async (chunk) => {
    const at = start + (due / ctx.settings.rate) * 1000;
    due += chunk.scans.length;
    if (at > Date.now()) await sleep(at - Date.now());
    if (chunk.via === 'dicom') return postDicom(ctx, chunk.scans[0].accession, chunk.scans[0].barcode);
    const events = chunk.scans.map((s) => scanEvent(s.barcode));
    return chunk.via === 'kafka' ? produceScans(ctx, events) : postScans(ctx, events);
  });
  ctx.log(`scans sent: ${ctx.plan.scans.length} in ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

/** Cancels the chosen cases once billing shows all their charges (so each must be credited). */
async function cancelCharged(ctx) {
  const chosen = ctx.plan.cases.filter((c) => c.cancel);
  await pool(chosen, 4, async (c) => {
    await retrying(ctx.stats, 'charges before cancel', async () => {
      const page = await call('GET', `${ctx.urls.billing}/charges?accession=${c.accession}`, undefined, await bearer('ops-viewer'));
      if (page.items.length < ctx.plan.specimens.length) throw new Error('not charged yet');
    });
    await cancelCase(ctx, c.accession);
  });
  ctx.log(`cases cancelled after charging: ${chosen.length}`);
}

async function traffic(ctx) {
  await sendCases(ctx);
  await produceBadInputs(ctx, ctx.plan.badInputs);
  await sendScans(ctx);
  await cancelCharged(ctx);
}

function summary(report) {
  const l = report.ledger;
  const lines = [
    `campaign ${report.run} (seed ${report.settings.seed}): ${report.scanEvents} scan events, ${report.cases} cases, ${report.faults.length} faults in ${report.seconds} s`,
    ...report.faults.map((f) => `  ${f.fault.padEnd(24)} down ${String(f.downMs).padStart(5)} ms   ready after ${String(f.readyAfterMs).padStart(6)} ms   charging after ${String(f.chargingAfterMs).padStart(6)} ms${f.duringTraffic ? '' : '  (after traffic)'}`),
    `charges expected ${l.chargesExpected}, found ${l.chargesFound}, lost ${l.lost}, duplicated ${l.duplicated}; credits expected ${l.creditsExpected}; wrong keys ${l.wrong.length}`,
    `topic redeliveries of one event id (at least once, dropped by id): ${l.topicRedeliveries}; sends retried: ${JSON.stringify(report.retries)}`,
    `quiet: ${report.quiescence.quiet} after ${report.quiescence.seconds} s; outboxes ${JSON.stringify(report.quiescence.outboxes)}; lags ${JSON.stringify(report.quiescence.lags)}; DFT^P03 not acknowledged ${JSON.stringify(report.quiescence.deliveriesNotAcked)}`,
    `dead letters: ${report.quiescence.deadLetters.expected} of ${report.settings.badInputs} malformed inputs, ${report.quiescence.deadLetters.unexpected.length} unexpected`,
  ];
  for (const w of l.wrong.slice(0, 20)) lines.push(`  WRONG ${w.key}: ${w.problems.join('; ')}`);
  return lines.join('\n');
}

const passed = (r) =>
  r.ledger.wrong.length === 0 && r.ledger.unexpectedKeys.length === 0 && r.quiescence.quiet &&
  r.quiescence.deadLetters.expected === r.settings.badInputs && r.quiescence.deadLetters.unexpected.length === 0 &&
  Object.values(r.quiescence.outboxes).every((b) => b.parked === 0);

async function main() {
  const settings = settingsOf(parseArgs(process.argv.slice(2)));
  const plan = campaignPlan(settings);
  const kafka = kafkaAs('admin', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
  const ctx = {
    root, settings, plan, kafka, stats: { retries: {} }, kafkaNodes: settings.kafkaNodes,
    databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/slidecharge',
    proxies: { kafka: process.env.CHAOS_KAFKA_PROXY_CONTROL, postgres: process.env.CHAOS_POSTGRES_PROXY_CONTROL },
    urls: { accession: process.env.ACCESSION_URL ?? 'http://127.0.0.1:3001', scanner: process.env.SCANNER_URL ?? 'http://127.0.0.1:3002', billing: process.env.BILLING_URL ?? 'http://127.0.0.1:3004' },
    log: (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}`),
  };
  ctx.pgCluster = await postgresCluster(ctx);
  const schedule = faultSchedule(settings);
  ctx.log(`run ${plan.run}: ${plan.cases.length} cases, ${plan.scans.length} scan events at ${settings.rate}/s; faults: ${schedule.map(faultLabel).join(', ')}; Postgres ${ctx.pgCluster.join('/')}`);
  const started = Date.now();
  ctx.producer = kafkaAs('scanner-middleware', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').producer();
  await ctx.producer.connect();
  const reader = await startTopicReader(ctx);
  // A traffic failure stops the faults after the one in progress is repaired (never leave a server down).
  let trafficDone = false;
  let trafficError;
  const sending = traffic(ctx).then(() => { trafficDone = true; }, (error) => { trafficError = error; ctx.stopFaults = true; });
  const [faults] = await Promise.all([runFaults(ctx, schedule, settings.intervalMs, () => trafficDone), sending]);
  if (trafficError) {
    console.error(`FAILED: the campaign could not send its inputs: ${trafficError.stack}`);
    process.exit(1);
  }
  const missing = await waitForTopic(ctx, reader, 600_000);
  ctx.log(`topic: ${missing} expected charges or credits still missing; waiting for quiescence`);
  const quiescence = await quiesce(ctx, 300_000);
  const ledger = await checkLedger(ctx, reader);
  const report = { run: plan.run, settings, cases: plan.cases.length, scanEvents: plan.scans.length, seconds: Math.round((Date.now() - started) / 1000), faults, retries: ctx.stats.retries, quiescence, ledger };
  writeFileSync(join(root, settings.report), `${JSON.stringify(report, null, 2)}\n`);
  console.log(summary(report));
  await Promise.allSettled([reader.consumer.disconnect(), ctx.producer.disconnect()]);
  console.log(passed(report) ? 'PASSED: nothing lost, nothing twice' : 'FAILED (report: ' + settings.report + ')');
  process.exit(passed(report) ? 0 : 1);
}

process.on('unhandledRejection', (reason) => {
  console.error('[chaos] unhandled rejection (a bug of the campaign):', reason, reason?.fatal);
  process.exit(2);
});
await main();
