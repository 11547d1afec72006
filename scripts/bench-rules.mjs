#!/usr/bin/env node
// The billing rules alone on one large case: how long evaluateCharges takes for a case of
// --specimens x --slides (every slide scanned once, every scan passed by QC, no charge yet), which is
// what billing runs for every transaction that touches the case. Pure CPU, no Kafka or Postgres.
//
//   npm run bench:rules -- --specimens 10 --slides 200 --runs 300
//
// Prints JSON: the settings, the charges the case earns (a check that the rules did the work), and the
// milliseconds per evaluation (mean, p50, p99) after --warmup evaluations.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { percentile } from './bench/stats.mjs';

const { values } = parseArgs({
  options: {
    specimens: { type: 'string', default: '10' },
    slides: { type: 'string', default: '200' },
    runs: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '100' },
  },
});
const settings = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v)]));
for (const [k, v] of Object.entries(settings)) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive whole number, got ${values[k]}`);
}
if (settings.specimens > 26) throw new Error('--specimens: at most 26 (specimens A-Z)');

const built = new URL('../dist/libs/billing-rules/libs/billing-rules/src/index.js', import.meta.url);
if (!existsSync(built)) throw new Error('billing-rules is not built: npx nx run billing-rules:build');
const { DEFAULT_POLICY_SET, evaluateCharges } = createRequire(import.meta.url)(built.pathname);

const specimenIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, settings.specimens).split('');
const facts = {
  accessionNumber: 'S26-BENCH',
  status: 'active',
  patientId: 'P-BENCH',
  payerId: 'AETNA',
  collectionDate: '2026-11-02',
  diagnoses: ['C50.911'],
  specimens: specimenIds.map((specimenId) => ({ specimenId, primaryCpt: '88305', units: 1 })),
  slides: specimenIds.flatMap((specimenId) => Array.from({ length: settings.slides }, (_, n) => ({ barcode: `S26-BENCH-${specimenId}1-${n + 1}`, specimenId }))),
};
const scans = facts.slides.map((slide, i) => ({
  scanId: `scan-${i}`,
  slideBarcode: slide.barcode,
  status: 'completed',
  purpose: 'diagnostic',
  completedAt: '2026-11-03T10:00:00Z',
  sourceEventId: `scan-event-${i}`,
}));
const qcResults = scans.map((s) => ({ scanId: s.scanId, passed: true, reasons: [], sourceEventId: `qc-event-${s.scanId}` }));
const input = { case: facts, scans, qcResults, policySet: DEFAULT_POLICY_SET, existingCharges: [] };

const charges = evaluateCharges(input).charges.length;
if (charges !== settings.specimens) throw new Error(`the case earned ${charges} charges, expected ${settings.specimens}: the rules did not do the work measured`);
for (let i = 0; i < settings.warmup; i++) evaluateCharges(input);
const ms = [];
for (let i = 0; i < settings.runs; i++) {
  const t0 = performance.now();
  evaluateCharges(input);
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const at = (p) => +percentile(ms, p).toFixed(2);
console.log(
  JSON.stringify({
    settings: { ...settings, node: process.version },
    charges,
    msPerEvaluation: { mean: +(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(2), p50: at(50), p99: at(99) },
  }),
);
