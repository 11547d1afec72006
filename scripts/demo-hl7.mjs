#!/usr/bin/env node
// Watch slidecharge speak the hospital's languages, from the command line (issue #4):
//   1. the LIS simulator sends an HL7 ORM^O01 order over MLLP to accession (:2575) and prints the ACK
//   2. slide A is reported by the scanner middleware over HTTP (with its API key), slide B by an image
//      manager as DICOM JSON
//   3. billing charges both specimens and delivers each charge as DFT^P03 over MLLP to the billing
//      system (the simulator the stack starts on :2576), which acknowledges it
//   4. the same charges as FHIR R4 ChargeItems
//   5. the LIS cancels the order over MLLP: the billing system receives the credits (FT1-6 = CD)
// Needs the stack running (npm run stack starts it, the simulator included, and runs this).
// Base URLs: ACCESSION_URL, SCANNER_URL, BILLING_URL; MLLP: LIS_SIM_HOST / LIS_SIM_PORT (127.0.0.1:2575);
// scanner key: SCANNER_API_KEY (default the stack's development key); staff and the billing system
// sign in with the development identity provider (scripts/lib/identity.mjs).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bearer, scannerDevKey } from './lib/identity.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scannerUrl = process.env.SCANNER_URL ?? 'http://127.0.0.1:3002';
const billingUrl = process.env.BILLING_URL ?? 'http://127.0.0.1:3004';
const apiKey = scannerDevKey();
const simLog = join(root, 'tmp/stack/billing-system-sim.log');

/** The image manager and middleware use their API key; the billing system reads FHIR; staff read the rest. */
async function credentialFor(url) {
  if (url.startsWith(scannerUrl)) return { 'x-api-key': apiKey };
  return bearer(url.includes('/fhir/') ? 'billing-system' : 'ops-viewer');
}

async function call(method, url, body, contentType = 'application/json') {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': contentType, ...(await credentialFor(url)) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until(what, probe, timeoutMs = 120_000) {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > started + timeoutMs) {
      console.error(`timed out waiting for ${what}; see tmp/stack/*.log`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function lis(args) {
  const out = execFileSync(process.execPath, [join(root, 'scripts/lis-sim.mjs'), ...args], { encoding: 'utf8' });
  for (const line of out.trim().split('\n')) console.log(`   ${line}`);
}

const accession = `S${String(new Date().getFullYear()).slice(2)}-7${String(Date.now()).slice(-5)}`;
const slide = (specimen) => `${accession}-${specimen}1-1`;

console.log(`\n== 1. the LIS sends order ${accession} as HL7 ORM^O01 over MLLP (Aetna; A 88305, B 88307; one slide each)`);
lis(['--accession', accession, '--specimens', '88305,88307', '--slides', '1', '--payer', 'AETNA']);

console.log('== 2. slide A reported over HTTP by the scanner middleware, slide B as DICOM JSON by the image manager');
const scanId = randomUUID();
const a = await call('POST', `${scannerUrl}/scan-events`, {
  eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode: slide('A'),
  scannerId: 'GT450-DEMO', scanId, purpose: 'diagnostic',
  image: { imageId: scanId, focusScore: 0.94, tissueCoverage: 0.38, fileSizeBytes: 1_650_000_000, barcodeRead: true, stitchingErrors: 0 },
});
console.log(`   ${slide('A')}: ${a.status}`);
const uid = `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;
const b = await call('POST', `${scannerUrl}/dicom/instances`, {
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.77.1.6'] },
  '00080018': { vr: 'UI', Value: [uid] },
  '0020000E': { vr: 'UI', Value: [`${uid}.1`] },
  '00080050': { vr: 'SH', Value: [accession] },
  '00400512': { vr: 'LO', Value: [slide('B')] },
  '0008002A': { vr: 'DT', Value: [new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)] },
  '00080070': { vr: 'LO', Value: ['Leica'] },
  '00181000': { vr: 'LO', Value: ['GT450-0042'] },
}, 'application/dicom+json');
console.log(`   ${slide('B')}: accepted as ${b.eventId}`);

console.log('== 3. billing charges both and delivers them as DFT^P03 over MLLP; the billing system acknowledges');
const charges = await until('2 charges', async () => {
  const items = (await call('GET', `${billingUrl}/charges?accession=${accession}`)).items;
  return items.length >= 2 ? items : undefined;
});
charges.sort((x, y) => x.specimenId.localeCompare(y.specimenId));
const ids = charges.map((c) => c.chargeId);
for (const c of charges) {
  const view = await until(`the ACK of ${c.chargeKey}`, async () => {
    const v = await call('GET', `${billingUrl}/charges/${c.chargeId}/deliveries`);
    return v.deliveries.some((d) => d.state === 'acked') ? v : undefined;
  });
  const d = view.deliveries[0];
  console.log(`   ${c.chargeKey} x${c.units}: DFT^P03 ${d.messageControlId} to ${view.delivery.target}: ${d.state} after ${d.attempts} attempt(s)`);
}
const received = (what) =>
  existsSync(simLog) ? readFileSync(simLog, 'utf8').split('\n').filter((l) => ids.some((id) => l.includes(id)) && l.includes(what)) : [];
if (existsSync(simLog)) {
  console.log('   the billing system simulator logged (tmp/stack/billing-system-sim.log):');
  for (const line of received('CHARGE (CG)')) console.log(`     ${line}`);
}

console.log('== 4. the same charges as FHIR R4 ChargeItem');
const bundle = await call('GET', `${billingUrl}/fhir/ChargeItem?accession=${accession}`);
for (const e of bundle.entry ?? []) {
  const r = e.resource;
  console.log(`   ChargeItem/${r.id}: ${r.status}, ${r.code?.coding?.[0]?.code} x${r.quantity?.value}, occurrence ${r.occurrenceDateTime}`);
}

console.log('== 5. the LIS cancels the order over MLLP: the billing system receives the credits (FT1-6 = CD)');
lis(['--accession', accession, '--cancel', '--reason', 'demo: wrong patient']);
await until('2 credited charges', async () => {
  const items = (await call('GET', `${billingUrl}/charges?accession=${accession}`)).items;
  return items.filter((c) => c.status === 'credited').length >= 2 ? items : undefined;
});
await until('the credits acknowledged', async () => {
  for (const id of ids) {
    const v = await call('GET', `${billingUrl}/charges/${id}/deliveries`);
    if (!v.deliveries.some((d) => d.kind === 'credit' && d.state === 'acked')) return undefined;
  }
  return true;
});
console.log('   both credits acknowledged');
for (const line of received('CREDIT (CD)')) console.log(`     ${line}`);
console.log(`   received HL7 messages: http://127.0.0.1:3001/hl7/messages?accession=${accession}`);
console.log(`   deliveries: ${billingUrl}/deliveries?accession=${accession}\n`);
