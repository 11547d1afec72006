import { randomUUID } from 'node:crypto';
import { Hl7Message } from '@medplum/core';
import { Hl7Client, Hl7Connection, Hl7MessageEvent, Hl7Server } from '@medplum/hl7';
import type { CaseDetails } from '@slidecharge/contracts';
import { buildOrderMessage, readValue, validateV251 } from '@slidecharge/hl7';
import { compactDaysAgo, eventually, fhirProblemLines, freePort, isoDaysAgo, ServiceName, ServiceProcess, TestCaller, testEnv, tokenFor } from '@slidecharge/testing';

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);

/**
 * The hospital's languages end to end (issue #4), the four services as separate processes built from
 * dist/, on the real Kafka and Postgres:
 *   LIS order as HL7 ORM^O01 over MLLP -> accession (ACK AA)
 *   -> scans over HTTP with an API key, and as DICOM JSON from an image manager
 *   -> billing -> DFT^P03 over MLLP to a billing system (this test's MLLP server), acknowledged
 *   -> the same charge as a FHIR R4 ChargeItem.
 * Then the LIS cancels the order over MLLP and the billing system receives the credit (FT1-6 = CD).
 */
const { kafkaBrokers } = testEnv();
const services = {} as Record<ServiceName, ServiceProcess>;
const SCANNER_API_KEY = 'sck_e2ehosp01_e2e-development-key-not-a-secret-000';
const run = randomUUID().slice(0, 8).toUpperCase();

/** What the billing system received: every DFT^P03, in order of arrival. */
const received: Hl7Message[] = [];
let billingSystem: Hl7Server;
let lis: Hl7Client;

beforeAll(async () => {
  const [dftPort, mllpPort] = [await freePort(), await freePort()];
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
    // The MLLP listener without a sender allow-list and plain-TCP delivery are development settings.
    SLIDECHARGE_ENV: 'development',
    SCANNER_DEV_API_KEY: SCANNER_API_KEY,
    ACCESSION_MLLP_PORT: String(mllpPort),
    BILLING_DFT_HOST: '127.0.0.1',
    BILLING_DFT_PORT: String(dftPort),
    BILLING_DFT_POLL_MS: '200',
  };
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-hospital-logs').start())));
  lis = new Hl7Client({ host: '127.0.0.1', port: mllpPort });
}, 120_000);

afterAll(async () => {
  await lis?.close();
  await Promise.all(Object.values(services).map((s) => s.stop('SIGTERM')));
  await billingSystem?.stop({ forceDrainTimeoutMs: 1000 });
});

/**
 * The usual caller of a route: the image manager and scanner middleware use their API key, the
 * billing system reads FHIR (role service, scope system/ChargeItem.read), staff read the rest.
 */
async function credentialFor(url: string): Promise<Record<string, string>> {
  if (url.startsWith(services['scanner-events'].url)) return { 'x-api-key': SCANNER_API_KEY };
  const caller: TestCaller = url.includes('/fhir/') ? 'billing-system' : 'ops-viewer';
  return { authorization: `Bearer ${await tokenFor(caller)}` };
}

async function http(method: string, url: string, body?: unknown, contentType = 'application/json') {
  const credential = await credentialFor(url);
  const res = await fetch(url, {
    method,
    headers: { 'content-type': contentType, ...credential, 'x-correlation-id': `e2e-hospital-${run}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The DFT^P03 messages the billing system received for an accession (FT1-23 filler order number). */
const dftsOf = (accession: string) => received.filter((m) => m.getSegment('FT1')?.getField(23)?.getComponent(1) === accession);

const barcode = (accession: string, specimen: string, n: number) => `${accession}-${specimen}1-${n}`;

function order(accession: string): CaseDetails {
  return {
    patientId: `MRN-${accession}`,
    // PID-5/7/8 and PID-3.4, IN1-2 and ORC-12's NPI: what a DFT^P03 a strict v2.5.1 receiver accepts needs (issue #8).
    patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' },
    payer: { payerId: 'AETNA', name: 'Aetna', plan: 'AETNA-PPO' },
    orderingProvider: 'WELBY, MARCUS',
    orderingProviderNpi: '1548302744',
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: [
      { specimenId: 'A', primaryCpt: '88305', units: 1 },
      { specimenId: 'B', primaryCpt: '88305', units: 2 },
    ],
    slides: [
      { barcode: barcode(accession, 'A', 1), specimenId: 'A' },
      { barcode: barcode(accession, 'B', 1), specimenId: 'B' },
    ],
  };
}

function dicomJson(accession: string, slide: string) {
  const uid = `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
  return {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.77.1.6'] },
    '00080018': { vr: 'UI', Value: [uid] },
    '0020000E': { vr: 'UI', Value: [`${uid}.1`] },
    '00080050': { vr: 'SH', Value: [accession] },
    '00400512': { vr: 'LO', Value: [slide] },
    '0008002A': { vr: 'DT', Value: [`${compactDaysAgo(0)}093000`] },
    '00080070': { vr: 'LO', Value: ['Leica'] },
    '00181000': { vr: 'LO', Value: ['GT450-0042'] },
  };
}

it('order over MLLP -> scans over HTTP and DICOM -> DFT^P03 over MLLP acknowledged -> FHIR ChargeItem; cancel over MLLP -> credits', async () => {
  const accession = `H${run}-1`;

  // 1. The LIS sends the order; accession answers AA and keeps the message.
  const controlId = `ORM-${run}-1`;
  const ack = await lis.sendAndWait(Hl7Message.parse(buildOrderMessage({ controlId, accessionNumber: accession, case: order(accession) })));
  expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
  expect(ack.getSegment('MSA')?.getField(2)?.toString()).toBe(controlId);
  const stored = await http('GET', `${services.accession.url}/cases/${accession}`);
  expect(stored.status).toBe(200);
  expect(stored.body).toMatchObject({ accessionNumber: accession, version: 1, specimens: [{ specimenId: 'A' }, { specimenId: 'B' }] });

  // The same message again (an LIS retry): the same ACK, no new version.
  const again = await lis.sendAndWait(Hl7Message.parse(buildOrderMessage({ controlId, accessionNumber: accession, case: order(accession) })));
  expect(again.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
  expect((await http('GET', `${services.accession.url}/cases/${accession}`)).body.version).toBe(1);

  // 2. Slide A is reported by the scanner middleware over HTTP, slide B by the image manager as DICOM JSON.
  const scanId = randomUUID();
  const scanned = await http('POST', `${services['scanner-events'].url}/scan-events`, {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: barcode(accession, 'A', 1),
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 },
  });
  expect(scanned.status).toBe(202);
  const dicom = await http('POST', `${services['scanner-events'].url}/dicom/instances`, dicomJson(accession, barcode(accession, 'B', 1)), 'application/dicom+json');
  expect(dicom.status).toBe(202);

  // 3. The billing system receives one DFT^P03 per charge and acknowledges it.
  const dfts = await eventually(() => (dftsOf(accession).length >= 2 ? dftsOf(accession) : undefined), 60_000, 'two DFT^P03 for the accession');
  const lines = dfts.map((m) => {
    const ft1 = m.getSegment('FT1');
    return [ft1?.getField(6)?.toString(), ft1?.getField(7)?.getComponent(1), ft1?.getField(10)?.toString(), ft1?.getField(25)?.getComponent(1)];
  });
  expect(lines.sort()).toEqual([
    ['CG', '0753T', '1', '0753T'],
    ['CG', '0753T', '2', '0753T'],
  ]);
  expect(dfts.every((m) => m.getSegment('MSH')?.getField(9)?.toString().startsWith('DFT^P03'))).toBe(true);
  const charges = (await http('GET', `${services.billing.url}/charges?accession=${accession}`)).body.items as { chargeId: string; specimenId: string }[];
  expect(charges).toHaveLength(2);
  const chargeA = charges.find((c) => c.specimenId === 'A') as { chargeId: string };
  // Each charge shows its delivery: acknowledged.
  const delivered = await eventually(async () => {
    const res = await http('GET', `${services.billing.url}/charges/${chargeA.chargeId}/deliveries`);
    return res.status === 200 && JSON.stringify(res.body).includes('acked') ? res.body : undefined;
  }, 60_000, 'charge A acknowledged');
  expect(JSON.stringify(delivered)).toContain('AA');

  // 4. The same charge as FHIR R4.
  const fhir = await http('GET', `${services.billing.url}/fhir/ChargeItem/${chargeA.chargeId}`);
  expect(fhir.status).toBe(200);
  expect(fhir.body).toMatchObject({
    resourceType: 'ChargeItem',
    id: chargeA.chargeId,
    status: 'billable',
    code: { coding: [expect.objectContaining({ code: '0753T' })] },
    occurrenceDateTime: COLLECTED,
    quantity: { value: 1 },
  });
  const search = await http('GET', `${services.billing.url}/fhir/ChargeItem?accession=${accession}`);
  expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
  expect([...fhirProblemLines(fhir.body), ...fhirProblemLines(search.body)]).toEqual([]);

  // 5. The LIS cancels the order: the billing system receives two credits (FT1-6 = CD) naming the charges.
  const cancel = await lis.sendAndWait(
    Hl7Message.parse(buildOrderMessage({ controlId: `ORM-${run}-2`, accessionNumber: accession, orderControl: 'CA', patientId: `MRN-${accession}`, cancelReason: 'e2e: wrong patient' })),
  );
  expect(cancel.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
  const credits = await eventually(() => {
    const cd = dftsOf(accession).filter((m) => m.getSegment('FT1')?.getField(6)?.toString() === 'CD');
    return cd.length >= 2 ? cd : undefined;
  }, 60_000, 'two credits');
  // Each credit names its charge (docs/integration-guide.md, "Pairing a credit with its charge"): PR1-19.1 = the
  // charge's FT1-2 (PR1-20 D), NTE-3 = the chargeId; the credit's own FT1-2 is new.
  expect(credits.map((m) => readValue(m.getSegment('NTE'), 3)).sort()).toEqual(charges.map((c) => `chargeId ${c.chargeId}`).sort());
  for (const credit of credits) {
    const charge = dfts.find((m) => readValue(m.getSegment('NTE'), 3) === readValue(credit.getSegment('NTE'), 3));
    expect(readValue(credit.getSegment('PR1'), 19)).toBe(readValue(charge?.getSegment('FT1'), 2));
    expect(readValue(credit.getSegment('PR1'), 20)).toBe('D');
    expect(readValue(credit.getSegment('FT1'), 2)).not.toBe(readValue(charge?.getSegment('FT1'), 2));
  }
  const cancelled = await http('GET', `${services.billing.url}/fhir/ChargeItem/${chargeA.chargeId}`);
  // Credited after it was sent: aborted with its credit, never entered-in-error (it was a real charge).
  expect(cancelled.body.status).toBe('aborted');
  expect(JSON.stringify(cancelled.body.extension)).toContain('charge-credit');
  expect(fhirProblemLines(cancelled.body)).toEqual([]);
});

it('a bad order over MLLP gets AE with an ERR segment naming the field, and a wrong message type AR', async () => {
  const accession = `H${run}-2`;
  // A primary procedure code that is not a CPT code.
  const details = order(accession);
  const bad = buildOrderMessage({ controlId: `ORM-${run}-3`, accessionNumber: accession, case: { ...details, specimens: [{ specimenId: 'A', primaryCpt: '88A05', units: 1 }], slides: [] } });
  const ae = await lis.sendAndWait(Hl7Message.parse(bad));
  expect(ae.getSegment('MSA')?.getField(1)?.toString()).toBe('AE');
  expect(ae.getSegment('ERR')?.getField(2)?.getComponent(1)).toBe('OBR');
  expect((await http('GET', `${services.accession.url}/cases/${accession}`)).status).toBe(404);
  const adt = `MSH|^~\\&|LIS|LAB|SLIDECHARGE|PATH|20261127120000||ADT^A01^ADT_A01|ADT-${run}|P|2.5.1\rPID|1||MRN-1^^^^MR\r`;
  const ar = await lis.sendAndWait(Hl7Message.parse(adt));
  expect(ar.getSegment('MSA')?.getField(1)?.toString()).toBe('AR');
  expect(ar.getSegment('ERR')).toBeDefined();
});

it('every DFT^P03 the billing system received passes the HL7 v2.5.1 structure, required-field, length and repetition checks', () => {
  expect(received.length).toBeGreaterThanOrEqual(4);
  expect(received.map((m) => ({ msh10: readValue(m.getSegment('MSH'), 10), issues: validateV251(m.toString()) })).filter((r) => r.issues.length > 0)).toEqual([]);
});
