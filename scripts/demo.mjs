#!/usr/bin/env node
// Watch slidecharge work: posts one Medicare case to accession, its slides' scans to scanner-events (one
// slide fails QC and is rescanned), prints the charges billing decided (Medicare: held for review),
// releases them as a biller would, then cancels the case and prints the credits. Needs the stack running
// (npm run stack). Base URLs: ACCESSION_URL, SCANNER_URL, BILLING_URL (defaults: ports 3001, 3002, 3004).
// Every call is authenticated as the user of that route would be: the scanner middleware with its API
// key (SCANNER_API_KEY, else the stack's development key), the LIS integration and the staff with tokens
// from the development identity provider (scripts/lib/identity.mjs).
import { randomUUID } from 'node:crypto';
import { bearer, scannerDevKey } from './lib/identity.mjs';

const accessionUrl = process.env.ACCESSION_URL ?? 'http://127.0.0.1:3001';
const scannerUrl = process.env.SCANNER_URL ?? 'http://127.0.0.1:3002';
const billingUrl = process.env.BILLING_URL ?? 'http://127.0.0.1:3004';
const scannerApiKey = scannerDevKey();
const correlationId = `demo-${randomUUID().slice(0, 8)}`;

/** Who makes a call: the middleware to scanner-events, the LIS integration writes cases, a reviewer releases, staff read. */
async function credentialFor(method, url) {
  if (url.startsWith(scannerUrl)) return { 'x-api-key': scannerApiKey };
  if (url.startsWith(accessionUrl) && method !== 'GET') return bearer('lis-integration');
  if (url.includes('/release')) return bearer('billing-reviewer');
  return bearer('ops-viewer');
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-correlation-id': correlationId,
      ...(await credentialFor(method, url)),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status}: ${text}`);
  return json;
}

const year = String(new Date().getFullYear()).slice(2);
const accession = `S${year}-${String(Date.now()).slice(-6)}`;
const slide = (specimen, n) => `${accession}-${specimen}1-${n}`;
const good = { focusScore: 0.94, tissueCoverage: 0.38, fileSizeBytes: 1_650_000_000, barcodeRead: true, stitchingErrors: 0 };
const scan = (barcode, image = good) => {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode: barcode,
    scannerId: 'GT450-DEMO', scanId, purpose: 'diagnostic', image: { ...image, imageId: scanId },
  };
};

console.log(`\n== 1. LIS sends case ${accession} (correlation id ${correlationId})`);
const created = await call('POST', `${accessionUrl}/cases`, {
  accessionNumber: accession,
  patientId: 'MRN-0042',
  patient: { familyName: 'DEMO', givenName: 'PAT', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'DEMOHOSP' },
  payer: { payerId: 'MEDICARE', name: 'Medicare Part B', plan: 'MEDICARE-B' },
  orderingProvider: 'WELBY',
  orderingProviderNpi: '1234567893',
  collectionDate: new Date(Date.now() - 3 * 86400_000).toISOString().slice(0, 10),
  diagnoses: ['C50.911'],
  specimens: [
    { specimenId: 'A', description: 'Left breast, core biopsy', primaryCpt: '88305', units: 1 },
    { specimenId: 'B', description: 'Left axillary lymph node', primaryCpt: '88305', units: 1 },
    { specimenId: 'C', description: 'Left breast, lumpectomy', primaryCpt: '88307', units: 1 },
  ],
  slides: [
    { barcode: slide('A', 1), specimenId: 'A' }, { barcode: slide('A', 2), specimenId: 'A' },
    { barcode: slide('B', 1), specimenId: 'B' }, { barcode: slide('C', 1), specimenId: 'C' },
  ],
});
console.log(`   stored, version ${created.version}: specimens A 88305, B 88305, C 88307; 4 slides`);

console.log('== 2. scanner middleware reports scans');
for (const barcode of [slide('A', 1), slide('A', 2), slide('C', 1)]) {
  const r = await call('POST', `${scannerUrl}/scan-events`, scan(barcode));
  console.log(`   ${barcode}: ${r.status}`);
}
const blurry = await call('POST', `${scannerUrl}/scan-events`, scan(slide('B', 1), { ...good, focusScore: 0.35 }));
console.log(`   ${slide('B', 1)}: ${blurry.status} (out of focus: QC will fail it)`);
await new Promise((r) => setTimeout(r, 1500));
const rescan = await call('POST', `${scannerUrl}/scan-events`, scan(slide('B', 1)));
console.log(`   ${slide('B', 1)}: ${rescan.status} (rescan)`);

const table = (list) =>
  console.table(
    [...list]
      .sort((a, b) => a.specimenId.localeCompare(b.specimenId))
      .map((c) => ({ specimen: c.specimenId, code: c.code, primary: c.primaryCode, units: c.units, dateOfService: c.dateOfService, status: c.status, chargeId: c.chargeId })),
  );
async function chargesWhen(ready, what) {
  // Generous: on a broker that tests also use, billing may first catch up on their events.
  const started = Date.now();
  let hinted = false;
  let charges = [];
  while (Date.now() < started + 180_000) {
    charges = (await call('GET', `${billingUrl}/charges?accession=${accession}`)).items;
    if (ready(charges)) return charges;
    if (!hinted && Date.now() > started + 10_000) {
      hinted = true;
      console.log('   (still waiting: billing may be catching up on earlier events on this Kafka broker, e.g. from test runs)');
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  table(charges);
  console.error(`expected ${what}; see ${billingUrl}/cases/${accession}/billing and tmp/stack/*.log`);
  process.exit(1);
}

console.log('== 3. billing decides the charges: Medicare ones wait in the review queue');
let charges = await chargesWhen((list) => list.length === 3, '3 charges');
table(charges);
const held = charges.filter((c) => c.status === 'held');
if (held[0]) console.log(`   held because: ${held[0].holdReasons.map((h) => h.detail).join('; ')}`);

console.log('== 4. a biller releases them with a justification: they go onto billing.charges.v1');
for (const c of held) {
  await call('POST', `${billingUrl}/charges/${c.chargeId}/release`, { justification: 'medical necessity documented in the sign-out note' });
}
charges = await chargesWhen((list) => list.length === 3 && list.every((c) => c.status === 'posted'), '3 posted charges');
table(charges);

console.log('== 5. the LIS cancels the case: every posted charge is credited (charge.credited), none is edited');
await call('POST', `${accessionUrl}/cases/${accession}/cancel`, { reason: 'demo: wrong patient' });
charges = await chargesWhen((list) => list.length === 3 && list.every((c) => c.status === 'credited'), '3 credited charges');
table(charges);
console.log(`   each charge's audit trail: ${billingUrl}/charges/<chargeId>`);
console.log(`   why each specimen was (not) charged: ${billingUrl}/cases/${accession}/billing`);
console.log('   charges and credits are on Kafka topic billing.charges.v1\n');
