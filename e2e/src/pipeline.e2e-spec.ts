import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Producer } from 'kafkajs';
import { Charge, Credit, DEAD_LETTER_TOPIC, DeadLetter, EventEnvelope, observedGroupsOf, ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { freePort, isoDaysAgo, principalKafkaConnection, ReadMessage, ServiceName, ServiceProcess, TestCaller, testEnv, testKafka, tokenFor, TopicReader, waitForPipelineSettled } from '@slidecharge/testing';

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);

/**
 * From LIS case to 0753T charge through the four services, each its own process built from dist/,
 * on the real Kafka and Postgres. Scenarios are the ones the pipeline issue names.
 */
const { kafkaBrokers } = testEnv();
const services = {} as Record<ServiceName, ServiceProcess>;
let reader: TopicReader;
let producer: Producer;

type ChargeMessage = EventEnvelope<'charge.posted', Charge>;
type CreditMessage = EventEnvelope<'charge.credited', Credit>;

/** The scanner middleware's API key: scanner-events seeds it at start (SCANNER_DEV_API_KEY). */
const SCANNER_API_KEY = 'sck_e2etest01_e2e-development-key-not-a-secret-000';

beforeAll(async () => {
  // MLLP on any free port: 2575 may be taken by a running stack or another test run.
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', SCANNER_DEV_API_KEY: SCANNER_API_KEY, ACCESSION_MLLP_PORT: '0' };
  reader = await new TopicReader(kafkaBrokers, ['billing.charges.v1', DEAD_LETTER_TOPIC]).start();
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env).start())));
  // The scanner middleware writes scanner.ingress.v1 with its own principal, as a real one would.
  producer = testKafka('e2e-middleware', principalKafkaConnection('scanner-middleware')).producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await reader?.stop();
});

// ---- helpers: what the LIS and the scanner middleware do ----

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `E2E${run}-${++counter}`;

/** A JSON answer; tests read the fields they assert on. */
type Json = { [key: string]: unknown } & { status?: string; items?: unknown[] };

/** Who calls: the scanner middleware (its API key) or someone signed in with the identity provider. */
type Caller = TestCaller | 'scanner-middleware';

/** The usual caller of a route: middleware to scanner-events, the LIS integration writes cases, ops staff read. */
function usualCaller(method: string, url: string): Caller {
  if (url.startsWith(services['scanner-events'].url)) return 'scanner-middleware';
  if (url.startsWith(services.accession.url) && method !== 'GET') return 'lis-integration';
  return 'ops-viewer';
}

async function credentialOf(caller: Caller): Promise<Record<string, string>> {
  return caller === 'scanner-middleware' ? { 'x-api-key': SCANNER_API_KEY } : { authorization: `Bearer ${await tokenFor(caller)}` };
}

async function http(method: string, url: string, body?: unknown, caller: Caller = usualCaller(method, url)): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-correlation-id': `e2e-${run}`, ...(await credentialOf(caller)) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface SpecimenSpec {
  id: string;
  cpt: string;
  units?: number;
  slides: number;
}

/** The case as the LIS sends it. Aetna by default: its charges go out as decided (Medicare ones are held for review). */
function caseDetails(accessionNumber: string, specimens: SpecimenSpec[], payer = { payerId: 'AETNA', name: 'Aetna' }) {
  return {
    accessionNumber,
    patientId: `MRN-${accessionNumber}`,
    payer,
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: specimens.map((s) => ({ specimenId: s.id, primaryCpt: s.cpt, units: s.units ?? 1 })),
    slides: specimens.flatMap((s) => Array.from({ length: s.slides }, (_, i) => ({ barcode: barcode(accessionNumber, s.id, i + 1), specimenId: s.id }))),
  };
}

async function postCase(accessionNumber: string, specimens: SpecimenSpec[], payer?: { payerId: string; name: string }) {
  const res = await http('POST', `${services.accession.url}/cases`, caseDetails(accessionNumber, specimens, payer));
  expect(res.status).toBe(201);
  return res.body;
}

const barcode = (accession: string, specimen: string, slide: number) => `${accession}-${specimen}1-${slide}`;

const GOOD_IMAGE = { focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 };
const BLURRY_IMAGE = { ...GOOD_IMAGE, focusScore: 0.31 };

function scanCompleted(slideBarcode: string, image = GOOD_IMAGE, scanId = randomUUID()): ScannerMiddlewareEvent {
  return {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode,
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { ...image, imageId: scanId, imageUri: `wsi://store/${scanId}.svs` },
  };
}

async function sendScanOverHttp(event: ScannerMiddlewareEvent) {
  const res = await http('POST', `${services['scanner-events'].url}/scan-events`, event);
  expect(res.status).toBe(202);
  return res.body;
}

async function sendScanOverKafka(event: ScannerMiddlewareEvent) {
  await producer.send({ topic: 'scanner.ingress.v1', messages: [{ key: event.slideBarcode, value: JSON.stringify(event) }] });
}

const chargesFor = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as ChargeMessage).type === 'charge.posted' && (m.value as ChargeMessage).data?.accessionNumber === accession;
const creditsFor = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as CreditMessage).type === 'charge.credited' && (m.value as CreditMessage).data?.accessionNumber === accession;

/** Waits for `expected` distinct credits of the accession and returns them. */
async function creditsOf(accession: string, expected: number): Promise<Credit[]> {
  await reader.waitFor(creditsFor(accession), (list) => new Set(list.map((m) => (m.value as CreditMessage).data.creditId)).size >= expected, 60_000);
  const byId = new Map<string, Credit>();
  for (const m of reader.messages.filter(creditsFor(accession))) byId.set((m.value as CreditMessage).data.creditId, (m.value as CreditMessage).data);
  return [...byId.values()].sort((a, b) => a.chargeKey.localeCompare(b.chargeKey));
}

/** Waits for `expected` distinct charges of the accession, then for the pipeline to settle (so a surplus would show), and returns them. */
async function settledCharges(accession: string, expected: number): Promise<Charge[]> {
  await reader.waitFor(chargesFor(accession), (list) => new Set(list.map((m) => (m.value as ChargeMessage).data.chargeId)).size >= expected, 60_000);
  await drainPipeline();
  const byId = new Map<string, Charge>();
  for (const m of reader.messages.filter(chargesFor(accession))) byId.set((m.value as ChargeMessage).data.chargeId, (m.value as ChargeMessage).data);
  return [...byId.values()].sort((a, b) => a.specimenId.localeCompare(b.specimenId));
}

/** What billing's own API says it charged: must agree with the topic. */
async function billingCharges(accession: string): Promise<Charge[]> {
  const res = await http('GET', `${services.billing.url}/charges?accession=${encodeURIComponent(accession)}`);
  expect(res.status).toBe(200);
  return (Array.isArray(res.body) ? res.body : res.body.items) as Charge[];
}

/**
 * A barrier: every stage, in the order events flow (accession, scanner-events, qc, billing), has
 * handled its inputs and published its outbox, and the reader has read billing.charges.v1 and the
 * dead-letter topic to their end. Whatever the events sent so far cause has been read by then.
 */
async function drainPipeline() {
  const groups = new Map(observedGroupsOf('ops-console').map((g) => [g.group, g]));
  const stages = (['accession', 'scanner-events', 'qc', 'billing'] as const).map((name) => ({ url: services[name].url, ...(groups.has(name) ? { consumes: groups.get(name) } : {}) }));
  await waitForPipelineSettled(kafkaBrokers, stages);
  await reader.caughtUp();
}

// ---- scenarios ----

it('two 88305 specimens -> two 0753T charges, units and date of service from the case', async () => {
  const accession = newAccession();
  await postCase(accession, [
    { id: 'A', cpt: '88305', slides: 2 },
    { id: 'B', cpt: '88305', units: 2, slides: 3 },
  ]);
  for (const slide of [barcode(accession, 'A', 1), barcode(accession, 'A', 2), barcode(accession, 'B', 1), barcode(accession, 'B', 2), barcode(accession, 'B', 3)]) {
    await sendScanOverHttp(scanCompleted(slide));
  }
  const charges = await settledCharges(accession, 2);
  expect(charges.map((c) => [c.specimenId, c.code, c.primaryCode, c.units, c.dateOfService])).toEqual([
    ['A', '0753T', '88305', 1, COLLECTED],
    ['B', '0753T', '88305', 2, COLLECTED],
  ]);
  expect(charges.every((c) => c.patientId === `MRN-${accession}` && c.payerId === 'AETNA')).toBe(true);
  expect((await billingCharges(accession)).map((c) => c.chargeId).sort()).toEqual(charges.map((c) => c.chargeId).sort());
});

it('an 88307 specimen gets no 0753T (its own add-on, 0754T, instead)', async () => {
  const accession = newAccession();
  await postCase(accession, [{ id: 'A', cpt: '88307', slides: 1 }]);
  await sendScanOverHttp(scanCompleted(barcode(accession, 'A', 1)));
  const charges = await settledCharges(accession, 1);
  expect(charges.map((c) => c.code)).toEqual(['0754T']);
  expect(charges.some((c) => c.code === '0753T')).toBe(false);
});

it('a scan that arrives before its case is charged when the case arrives', async () => {
  const accession = newAccession();
  await sendScanOverHttp(scanCompleted(barcode(accession, 'A', 1)));
  await drainPipeline();
  expect(reader.messages.filter(chargesFor(accession))).toHaveLength(0);
  await postCase(accession, [{ id: 'A', cpt: '88305', slides: 1 }]);
  const charges = await settledCharges(accession, 1);
  expect(charges.map((c) => [c.specimenId, c.code])).toEqual([['A', '0753T']]);
});

it('the same scan event sent twice makes one charge', async () => {
  const accession = newAccession();
  await postCase(accession, [{ id: 'A', cpt: '88305', slides: 1 }]);
  const event = scanCompleted(barcode(accession, 'A', 1));
  expect((await sendScanOverHttp(event)).status).toBe('accepted');
  expect((await sendScanOverHttp(event)).status).toBe('duplicate');
  await sendScanOverKafka(event);
  const charges = await settledCharges(accession, 1);
  expect(charges).toHaveLength(1);
  await drainPipeline();
  expect(new Set(reader.messages.filter(chargesFor(accession)).map((m) => (m.value as ChargeMessage).data.chargeId)).size).toBe(1);
  expect(await billingCharges(accession)).toHaveLength(1);
});

it('QC failed, then a passing rescan -> one charge', async () => {
  const accession = newAccession();
  await postCase(accession, [{ id: 'A', cpt: '88305', slides: 1 }]);
  const slide = barcode(accession, 'A', 1);
  await sendScanOverHttp(scanCompleted(slide, BLURRY_IMAGE));
  await drainPipeline();
  expect(reader.messages.filter(chargesFor(accession))).toHaveLength(0);
  const explained = await http('GET', `${services.billing.url}/cases/${accession}/billing`);
  expect(explained.status).toBe(200);
  expect(JSON.stringify(explained.body)).toContain('qc-failed');
  await sendScanOverHttp(scanCompleted(slide, GOOD_IMAGE));
  const charges = await settledCharges(accession, 1);
  expect(charges).toHaveLength(1);
  expect(charges[0]?.scanIds).toHaveLength(1);
  // A third, also passing, rescan adds nothing.
  await sendScanOverHttp(scanCompleted(slide, GOOD_IMAGE));
  await drainPipeline();
  expect(await billingCharges(accession)).toHaveLength(1);
});

it('scans arriving over HTTP and on the ingress topic are both charged', async () => {
  const accession = newAccession();
  await postCase(accession, [
    { id: 'A', cpt: '88305', slides: 1 },
    { id: 'B', cpt: '88305', slides: 1 },
  ]);
  await sendScanOverHttp(scanCompleted(barcode(accession, 'A', 1)));
  await sendScanOverKafka(scanCompleted(barcode(accession, 'B', 1)));
  const charges = await settledCharges(accession, 2);
  expect(charges.map((c) => c.specimenId)).toEqual(['A', 'B']);
});

it('an invalid event gets a clear answer: HTTP 400 naming the field, and a dead-letter record from the topic', async () => {
  const accession = newAccession();
  const bad = { ...scanCompleted(barcode(accession, 'A', 1)), occurredAt: 'last tuesday' };
  const res = await http('POST', `${services['scanner-events'].url}/scan-events`, bad);
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toContain('occurredAt');
  await producer.send({ topic: 'scanner.ingress.v1', messages: [{ key: bad.slideBarcode, value: JSON.stringify(bad) }] });
  const [letter] = await reader.waitFor(
    (m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).originalValue?.includes(bad.eventId) === true,
    (list) => list.length >= 1,
  );
  const record = letter?.value as DeadLetter;
  expect(record.reason).toBe('schema-violation');
  expect(record.service).toBe('scanner-events');
  expect(record.errors.map((e) => e.path)).toContain('occurredAt');
  expect(JSON.parse(record.originalValue ?? '{}')).toEqual(bad);
  // The partition is not blocked: a good event behind it is still charged.
  await drainPipeline();
});

it('a reversal: the LIS recodes 88305 -> 88307 (0753T credited, 0754T charged), then cancels (0754T credited)', async () => {
  const accession = newAccession();
  await postCase(accession, [{ id: 'A', cpt: '88305', slides: 1 }]);
  await sendScanOverHttp(scanCompleted(barcode(accession, 'A', 1)));
  const [first] = await settledCharges(accession, 1);
  expect(first?.code).toBe('0753T');

  const recoded = await http('PUT', `${services.accession.url}/cases/${accession}`, caseDetails(accession, [{ id: 'A', cpt: '88307', slides: 1 }]));
  expect(recoded.status).toBe(200);
  const [credit] = await creditsOf(accession, 1);
  expect(credit).toMatchObject({ transactionType: 'CD', creditFor: first?.chargeId, code: '0753T', units: 1, reason: 'primary-code-changed' });
  const charges = await settledCharges(accession, 2);
  const replacement = charges.find((c) => c.code === '0754T');
  expect(replacement?.replacesChargeId).toBe(first?.chargeId);

  const cancelled = await http('POST', `${services.accession.url}/cases/${accession}/cancel`, { reason: 'e2e: wrong patient' });
  expect(cancelled.status).toBe(200);
  const credits = await creditsOf(accession, 2);
  expect(credits.map((c) => [c.code, c.creditFor, c.reason])).toEqual([
    ['0753T', first?.chargeId, 'primary-code-changed'],
    ['0754T', replacement?.chargeId, 'case-cancelled'],
  ]);
  const stored = await billingCharges(accession);
  expect(stored.map((c) => [c.code, (c as Charge & { status: string }).status]).sort()).toEqual([
    ['0753T', 'credited'],
    ['0754T', 'credited'],
  ]);
});

it('a hold that is released: a Medicare charge waits in the review queue, then goes out with the signed-in reviewer and why', async () => {
  const accession = newAccession();
  await postCase(accession, [{ id: 'A', cpt: '88305', slides: 1 }], { payerId: 'MEDICARE', name: 'Medicare Part B' });
  await sendScanOverHttp(scanCompleted(barcode(accession, 'A', 1)));
  let held: Json | undefined;
  const deadline = Date.now() + 60_000;
  while (!held && Date.now() < deadline) {
    const queue = await http('GET', `${services.billing.url}/review-queue?payer=MEDICARE&limit=500`);
    expect(queue.status).toBe(200);
    held = (queue.body.items as Json[]).find((c) => c['accessionNumber'] === accession);
    if (!held) await new Promise((r) => setTimeout(r, 200));
  }
  expect(held).toMatchObject({ code: '0753T', status: 'held', holdReasons: [expect.objectContaining({ rule: 'payer-policy' })] });
  await drainPipeline();
  expect(reader.messages.filter(chargesFor(accession))).toHaveLength(0);

  const release = `${services.billing.url}/charges/${held?.['chargeId']}/release`;
  const refused = await http('POST', release, { justification: '' }, 'billing-reviewer');
  expect(refused.status).toBe(400);
  const viewer = await http('POST', release, { justification: 'MAC requires justification: documented in the sign-out note' }, 'ops-viewer');
  expect(viewer.status).toBe(403);
  const released = await http('POST', release, { justification: 'MAC requires justification: documented in the sign-out note' }, 'billing-reviewer');
  expect(released.status).toBe(200);
  const reviewer = expect.stringMatching(/^reviewer \(sub [0-9a-f-]{36}\)$/);
  const [charge] = await settledCharges(accession, 1);
  expect(charge).toMatchObject({ chargeId: held?.['chargeId'], code: '0753T', payerId: 'MEDICARE', release: { by: reviewer } });
  const audit = (await http('GET', `${services.billing.url}/charges/${held?.['chargeId']}`)).body['audit'] as Json[];
  expect(audit.map((a) => [a['action'], a['toStatus'], a['actor']])).toEqual([
    ['created', 'held', 'billing-rules'],
    ['released', 'posted', reviewer],
  ]);
});

it('the committed OpenAPI documents (docs/openapi/) match what the running services serve', async () => {
  for (const name of Object.keys(services) as ServiceName[]) {
    const served = await http('GET', `${services[name].url}/openapi.json`);
    expect(served.status).toBe(200);
    const committed = JSON.parse(readFileSync(join(__dirname, '../../docs/openapi', `${name}.json`), 'utf8'));
    expect({ service: name, doc: served.body }).toEqual({ service: name, doc: committed });
  }
});

it('every service shuts down cleanly on SIGTERM', async () => {
  const codes = await Promise.all(Object.values(services).map((s) => s.stop('SIGTERM')));
  expect(codes).toEqual([0, 0, 0, 0]);
});
