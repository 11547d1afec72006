// The campaign's ledger: after quiescence, every expected charge key must have exactly one live charge
// with one stable chargeId on billing.charges.v1, in billing's API and in the DFT^P03 messages the
// billing-system simulator accepted; every cancelled case's charges credited once each; no outbox row
// left unpublished; no consumer group of the stack behind; dead letters only for the malformed inputs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { bearer } from '../lib/identity.mjs';
import { pool } from '../lib/pool.mjs';
import { call, retrying } from './traffic.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads billing.charges.v1 from its beginning as the billing system does, keeping this run's records
 * by (partition, offset) so a re-read after a rebalance is not mistaken for a duplicate on the topic.
 */
export async function startTopicReader(ctx) {
  const consumer = ctx.kafka.consumer({ groupId: `billing-system-chaos-${ctx.plan.run}` });
  const records = new Map();
  await consumer.connect();
  await consumer.subscribe({ topic: 'billing.charges.v1', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = JSON.parse(message.value.toString());
      if (value.data?.accessionNumber?.startsWith(`${ctx.plan.run}-`)) records.set(`${partition}/${message.offset}`, value);
    },
  });
  return { consumer, records };
}

/** chargeKey -> { posted: [events], credits: [events] } of what the topic holds for this run. */
function topicByKey(records) {
  const byKey = new Map();
  for (const r of records.values()) {
    const entry = byKey.get(r.data.chargeKey) ?? { posted: [], credits: [] };
    (r.type === 'charge.credited' ? entry.credits : entry.posted).push(r);
    byKey.set(r.data.chargeKey, entry);
  }
  return byKey;
}

const distinct = (items, f) => new Set(items.map(f)).size;

/** Waits until the topic shows every expected charge and credit (or the timeout). */
export async function waitForTopic(ctx, reader, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const byKey = topicByKey(reader.records);
    const missing = [...ctx.plan.expected].filter(([key, e]) => !byKey.get(key)?.posted.length || (e.credited && !byKey.get(key)?.credits.length));
    if (missing.length === 0 || Date.now() > deadline) return missing.length;
    await sleep(500);
  }
}

/** Unpublished outbox rows per service schema, and parked ones (given up). */
async function outboxes(db) {
  const schemas = ['accession', 'scanner', 'qc', 'billing'];
  const out = {};
  for (const s of schemas) {
    const { rows } = await db.query(`SELECT count(*) FILTER (WHERE published_at IS NULL AND parked_at IS NULL)::int AS waiting, count(*) FILTER (WHERE parked_at IS NOT NULL AND published_at IS NULL)::int AS parked FROM ${s}.outbox`);
    out[s] = rows[0];
  }
  return out;
}

/**
 * This run's DFT^P03 deliveries not yet acknowledged, per state. Billing sends them from a queue of its
 * own (not an outbox): one claimed by a billing process that then crashed waits for its claim's lease
 * (5 messages x 2 x the ACK timeout + 5 s: 105 s by default) before another sender takes it.
 */
async function openDeliveries(ctx, db) {
  const { rows } = await db.query(`SELECT state, count(*)::int AS n FROM billing.delivery WHERE accession_number LIKE $1 AND state <> 'acked' GROUP BY state`, [`${ctx.plan.run}-%`]);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Lag of the consumer groups with live members (the stack's services), per group. */
async function groupLags(ctx) {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const described = await admin.describeGroups(groups.map((g) => g.groupId));
    const live = described.groups.filter((g) => g.state === 'Stable' && !g.groupId.includes('chaos'));
    const lags = {};
    for (const g of live) {
      let lag = 0;
      for (const t of await admin.fetchOffsets({ groupId: g.groupId })) {
        const ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, Number(p.high)]));
        for (const p of t.partitions) lag += Math.max(0, (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)));
      }
      lags[g.groupId] = lag;
    }
    return lags;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until no outbox row waits, no live group lags and every DFT^P03 of the run is acknowledged (quiescence), or the timeout. */
export async function quiesce(ctx, timeoutMs) {
  const db = new pg.Client({ connectionString: ctx.databaseUrl });
  await retrying(ctx.stats, 'ledger database', () => db.connect());
  try {
    const started = Date.now();
    for (;;) {
      const [boxes, lags, deliveries] = [await outboxes(db), await groupLags(ctx), await openDeliveries(ctx, db)];
      const quiet = Object.values(boxes).every((b) => b.waiting === 0) && Object.values(lags).every((l) => l === 0) && Object.keys(deliveries).length === 0;
      if (quiet || Date.now() - started > timeoutMs) return { quiet, seconds: Math.round((Date.now() - started) / 1000), outboxes: boxes, lags, deliveriesNotAcked: deliveries, deadLetters: await deadLetters(ctx, db) };
      await sleep(1000);
    }
  } finally {
    await db.end();
  }
}

/** This run's dead letters in every service's archive: the malformed inputs, and anything else (a fault). */
async function deadLetters(ctx, db) {
  const out = { expected: 0, unexpected: [] };
  for (const s of ['scanner', 'qc', 'billing', 'ops_console']) {
    const { rows } = await db.query(`SELECT key, reason, topic FROM ${s}.dead_letter WHERE key LIKE $1`, [`${ctx.plan.run}-%`]);
    for (const r of rows) {
      if (s === 'scanner' && ctx.plan.badInputs.includes(r.key)) out.expected += 1;
      else out.unexpected.push({ service: s, key: r.key, reason: r.reason, topic: r.topic });
    }
  }
  return out;
}

/** What billing's API says of this run's charges, per accession (GET /charges?accession=). */
async function apiCharges(ctx) {
  const accessions = [...new Set([...ctx.plan.expected.values()].map((e) => e.accession))];
  const byKey = new Map();
  await pool(accessions, 6, async (accession) => {
    const page = await retrying(ctx.stats, 'ledger API', async () => call('GET', `${ctx.urls.billing}/charges?accession=${accession}&limit=100`, undefined, await bearer('ops-viewer')));
    for (const c of page.items) byKey.set(c.chargeKey, [...(byKey.get(c.chargeKey) ?? []), c]);
  });
  return byKey;
}

/** chargeId -> { charges, credits, repeats }: DFT^P03 the simulator accepted (a repeat of a control id is dropped by it). */
function simulatorDeliveries(ctx) {
  const file = join(ctx.root, 'tmp/stack/billing-system-sim.log');
  const seen = new Map();
  if (!existsSync(file)) return seen;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /DFT\^P03 (\S+) from \S+: (CHARGE \(CG\)|CREDIT \(CD\)).*\(([0-9a-f-]{36})\)$/.exec(line);
    if (!m) continue;
    const entry = seen.get(m[3]) ?? { charges: new Set(), credits: new Set() };
    (m[2].startsWith('CHARGE') ? entry.charges : entry.credits).add(m[1]);
    seen.set(m[3], entry);
  }
  return seen;
}

/** Checks one expected charge key everywhere; returns the problems found (empty = as expected). */
function checkKey(key, expected, topic, api, sim) {
  const problems = [];
  const t = topic.get(key) ?? { posted: [], credits: [] };
  const ids = new Set(t.posted.map((e) => e.data.chargeId));
  if (ids.size === 0) problems.push('lost: no charge on the topic');
  if (ids.size > 1) problems.push(`duplicated: ${ids.size} chargeIds on the topic`);
  const credits = distinct(t.credits, (e) => e.data.creditId);
  if (expected.credited && credits !== 1) problems.push(`${credits} credits on the topic (expected 1)`);
  if (!expected.credited && credits !== 0) problems.push(`${credits} credits on the topic (expected none)`);
  const live = (api.get(key) ?? []);
  if (live.length !== 1) problems.push(`${live.length} charges in billing's API`);
  else if (!ids.has(live[0].chargeId)) problems.push('billing API chargeId differs from the topic');
  else if (live[0].status !== (expected.credited ? 'credited' : 'posted')) problems.push(`billing API status ${live[0].status}`);
  const delivered = live[0] && sim.get(live[0].chargeId);
  if (!delivered || delivered.charges.size !== 1) problems.push(`${delivered?.charges.size ?? 0} DFT^P03 charges accepted by the billing system`);
  if (expected.credited && delivered?.credits.size !== 1) problems.push(`${delivered?.credits.size ?? 0} DFT^P03 credits accepted by the billing system`);
  return problems;
}

/** The ledger's verdict: counts, and every key that is not exactly as expected. */
export async function checkLedger(ctx, reader) {
  const topic = topicByKey(reader.records);
  const api = await apiCharges(ctx);
  const sim = simulatorDeliveries(ctx);
  const wrong = [];
  for (const [key, expected] of ctx.plan.expected) {
    const problems = checkKey(key, expected, topic, api, sim);
    if (problems.length) wrong.push({ key, problems });
  }
  const posted = [...topic.values()].flatMap((t) => t.posted);
  return {
    chargesExpected: ctx.plan.expected.size,
    creditsExpected: [...ctx.plan.expected.values()].filter((e) => e.credited).length,
    chargesFound: [...topic.values()].filter((t) => t.posted.length > 0).length,
    lost: wrong.filter((w) => w.problems.some((p) => p.startsWith('lost'))).length,
    duplicated: wrong.filter((w) => w.problems.some((p) => p.startsWith('duplicated'))).length,
    topicRedeliveries: posted.length - distinct(posted, (e) => e.eventId),
    unexpectedKeys: [...topic.keys()].filter((k) => !ctx.plan.expected.has(k)),
    wrong,
  };
}
