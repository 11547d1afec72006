import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Hl7Message } from '@medplum/core';
import { Hl7Connection, Hl7MessageEvent, Hl7Server } from '@medplum/hl7';
import type { CaseSnapshot } from '@slidecharge/contracts';
import { readValue, validateV251 } from '@slidecharge/hl7';
import { buildEvent } from '@slidecharge/messaging';
import { dftTestSettings, eventually, freePort, isoDaysAgo, principalKafkaConnection, ServiceName, ServiceProcess, testEnv, testKafka, tokenFor } from '@slidecharge/testing';

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);

/**
 * The DFT^P03 a strict HL7 v2.5.1 billing system receives (issue #8 item 2), with billing, scanner-events
 * and qc as separate processes built from dist/, on the real Kafka and Postgres. The case comes as
 * accession publishes it on lis.case-events.v1 (with its own Kafka principal), carrying the patient's
 * demographics, the payer's plan and the ordering provider's NPI; slides are scanned over HTTP.
 * Every DFT^P03 the billing system receives is checked against the v2.5.1 definitions, and each credit
 * is paired with its charge by the documented fields (docs/integration-guide.md, "Pairing a credit
 * with its charge"): the credit's PR1-19.1 is its charge's FT1-2, PR1-20 is D, NTE-3 names the chargeId.
 */
const { kafkaBrokers } = testEnv();
const services = {} as Record<ServiceName, ServiceProcess>;
const SCANNER_API_KEY = 'sck_e2edft001_e2e-development-key-not-a-secret-000';
const run = randomUUID().slice(0, 8).toUpperCase();

/** What the billing system received: every DFT^P03, in order of arrival. */
const received: Hl7Message[] = [];
let billingSystem: Hl7Server;
let accession: Producer;

beforeAll(async () => {
  const dftPort = await freePort();
  billingSystem = new Hl7Server((connection: Hl7Connection) => {
    connection.addEventListener('message', ({ message }: Hl7MessageEvent) => {
      received.push(message);
      connection.send(message.buildAck());
    });
  });
  billingSystem.start(dftPort);
  const env = {
    KAFKA_BROKERS: kafkaBrokers,
    LOG_LEVEL: 'info',
    SLIDECHARGE_ENV: 'development',
    SCANNER_DEV_API_KEY: SCANNER_API_KEY,
    ...dftTestSettings(dftPort),
  };
  const names: ServiceName[] = ['scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-dft-logs').start())));
  accession = testKafka('e2e-accession', principalKafkaConnection('accession')).producer();
  await accession.connect();
}, 120_000);

afterAll(async () => {
  await accession?.disconnect();
  await Promise.all(Object.values(services).map((s) => s.stop('SIGTERM')));
  await billingSystem?.stop({ forceDrainTimeoutMs: 1000 });
});

async function http(method: string, url: string, body?: unknown) {
  const credential: Record<string, string> = url.startsWith(services['scanner-events'].url)
    ? { 'x-api-key': SCANNER_API_KEY }
    : { authorization: `Bearer ${await tokenFor('ops-viewer')}` };
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...credential, 'x-correlation-id': `e2e-dft-${run}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const barcode = (acc: string, specimen: string) => `${acc}-${specimen}1-1`;
const ft1 = (m: Hl7Message, n: number, c = 1) => readValue(m.getSegment('FT1'), n, c);
const dftsOf = (acc: string, type?: 'CG' | 'CD') => received.filter((m) => ft1(m, 23) === acc && (type === undefined || ft1(m, 6) === type));

function caseOf(acc: string, version: number, over: Partial<CaseSnapshot> = {}): CaseSnapshot {
  return {
    accessionNumber: acc,
    status: 'active',
    version,
    patientId: `M${run}${acc.slice(-2)}`,
    patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' },
    payer: { payerId: 'AETNA', name: 'Aetna', plan: 'AETNA-PPO' },
    collectionDate: COLLECTED,
    orderingProvider: '1548302744 WELBY, MARCUS',
    orderingProviderNpi: '1548302744',
    diagnoses: ['C50.911', 'Z80.3'],
    flags: { researchStudy: true },
    specimens: [
      { specimenId: 'A', primaryCpt: '88305', units: 1, modifiers: ['Q1'] },
      { specimenId: 'B', primaryCpt: '88305', units: 2 },
    ],
    slides: [
      { barcode: barcode(acc, 'A'), specimenId: 'A' },
      { barcode: barcode(acc, 'B'), specimenId: 'B' },
    ],
    ...over,
  };
}

/** The case event as accession publishes it, with accession's own Kafka principal. */
async function publishCase(data: CaseSnapshot, type: 'case.created' | 'case.updated' | 'case.cancelled'): Promise<void> {
  const m = buildEvent('lis.case-events.v1', type, data.accessionNumber, data, { producer: 'accession' });
  await accession.send({ topic: m.topic, messages: [{ key: m.key, value: JSON.stringify(m.value), headers: m.headers }] });
}

async function scan(slide: string): Promise<void> {
  const scanId = randomUUID();
  const res = await http('POST', `${services['scanner-events'].url}/scan-events`, {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: slide,
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 },
  });
  expect(res.status).toBe(202);
}

it('charges and their credits reach the billing system as DFT^P03 that pass the v2.5.1 checks, each credit paired with its charge', async () => {
  const acc = `D${run}-1`;
  await publishCase(caseOf(acc, 1), 'case.created');
  await scan(barcode(acc, 'A'));
  await scan(barcode(acc, 'B'));
  const charges = await eventually(() => (dftsOf(acc, 'CG').length >= 2 ? dftsOf(acc, 'CG') : undefined), 60_000, 'two DFT^P03 charges');

  const a = charges.find((m) => ft1(m, 10) === '1') as Hl7Message;
  expect(a.getSegment('PID')?.getField(5)?.toString()).toBe('DOE^JANE^^^^^L');
  expect(a.getSegment('PID')?.getField(3)?.toString()).toBe(`M${run}-1^^^UNIVHOSP^MR`);
  expect(a.getSegment('IN1')?.toString()).toBe('IN1|1|AETNA-PPO|AETNA|Aetna');
  expect(a.getSegment('FT1')?.getField(20)?.toString()).toBe('1234567893^UNIVERSITY PATHOLOGY LAB^^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
  expect(a.getSegment('FT1')?.getField(21)?.toString()).toBe('1548302744^WELBY^MARCUS^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
  expect(a.getSegment('FT1')?.getField(26)?.toString()).toBe('Q1^^HCPCS');
  expect(a.getAllSegments('DG1').map((d) => d.toString())).toEqual(['DG1|1||C50.911^^I10|||F', 'DG1|2||Z80.3^^I10|||F']);

  // The charges billing shows: their chargeIds are the ones the DFT^P03 name (NTE), their FT1-2 the deliveries'.
  const items = (await http('GET', `${services.billing.url}/charges?accession=${acc}`)).body.items as { chargeId: string }[];
  expect(charges.map((m) => readValue(m.getSegment('NTE'), 3)).sort()).toEqual(items.map((c) => `chargeId ${c.chargeId}`).sort());

  // The LIS cancels the case: two credits, each its own FT1-2, each naming its charge's FT1-2 in PR1-19.
  await publishCase(caseOf(acc, 2, { status: 'cancelled', cancelReason: 'e2e: wrong patient' }), 'case.cancelled');
  const credits = await eventually(() => (dftsOf(acc, 'CD').length >= 2 ? dftsOf(acc, 'CD') : undefined), 60_000, 'two DFT^P03 credits');
  for (const credit of credits) {
    const charge = charges.find((m) => readValue(m.getSegment('NTE'), 3) === readValue(credit.getSegment('NTE'), 3)) as Hl7Message;
    expect(readValue(credit.getSegment('PR1'), 19)).toBe(ft1(charge, 2));
    expect(readValue(credit.getSegment('PR1'), 20)).toBe('D');
    expect(readValue(charge.getSegment('PR1'), 19)).toBe(ft1(charge, 2));
    expect(ft1(credit, 2)).not.toBe(ft1(charge, 2));
  }
});

it('a case without the patient\'s name: the charge is not sent, its delivery says why; the corrected case sends it', async () => {
  const acc = `D${run}-2`;
  const data = caseOf(acc, 1, { patient: { givenName: 'JANE' }, specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }], slides: [{ barcode: barcode(acc, 'A'), specimenId: 'A' }] });
  await publishCase(data, 'case.created');
  await scan(barcode(acc, 'A'));
  const failed = await eventually(async () => {
    const items = (await http('GET', `${services.billing.url}/deliveries?accession=${acc}`)).body.items as { state: string; lastOutcome: string; lastError: string }[];
    return items.find((d) => d.state === 'failed');
  }, 60_000, 'the refused delivery');
  expect(failed.lastOutcome).toBe('not-sendable');
  expect(failed.lastError).toContain('has no patient family name (PID-5)');
  expect(dftsOf(acc)).toEqual([]);

  await publishCase({ ...data, version: 2, patient: { familyName: 'DOE', givenName: 'JANE' } }, 'case.updated');
  const [sent] = await eventually(() => (dftsOf(acc, 'CG').length > 0 ? dftsOf(acc, 'CG') : undefined), 60_000, 'the charge, sent after the correction');
  expect(sent?.getSegment('PID')?.getField(5)?.toString()).toBe('DOE^JANE^^^^^L');
});

it('every DFT^P03 the billing system received passes the HL7 v2.5.1 structure, required-field, length and repetition checks; FT1-2 is unique', () => {
  expect(received.length).toBeGreaterThanOrEqual(5);
  expect(received.map((m) => ({ msh10: readValue(m.getSegment('MSH'), 10), issues: validateV251(m.toString()) })).filter((r) => r.issues.length > 0)).toEqual([]);
  const byControlId = new Map(received.map((m) => [readValue(m.getSegment('MSH'), 10), ft1(m, 2)]));
  expect(new Set(byControlId.values()).size).toBe(byControlId.size);
});
