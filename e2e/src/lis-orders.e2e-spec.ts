import { randomUUID } from 'node:crypto';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { compactDaysAgo, eventually, freePort, isoDaysAgo, ServiceName, ServiceProcess, testEnv, tokenFor } from '@slidecharge/testing';

/**
 * Orders as a real LIS builds them (issue #8), end to end: the four services as separate processes
 * built from dist/, on the real Kafka and Postgres. The orders are built with an independent HL7 v2
 * implementation (@medplum/core's Hl7Message / Hl7Segment, not libs/hl7's builder) and sent by the
 * LIS's own MLLP client (@medplum/hl7's Hl7Client): one order per specimen, OBR-27 and TQ1 quantities,
 * ISO-8859-1 text, MSH-15=AL. Each order's slides are then scanned over HTTP and the charges billing
 * decided are read back: the add-on code per primary code, and the units the order carried.
 */
const { kafkaBrokers } = testEnv();
const services = {} as Record<ServiceName, ServiceProcess>;
const SCANNER_API_KEY = 'sck_e2elis001_e2e-development-key-not-a-secret-000';
const run = randomUUID().slice(0, 8).toUpperCase();
let mllpPort = 0;

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);
const COLLECTED_HL7 = compactDaysAgo(1);

beforeAll(async () => {
  mllpPort = await freePort();
  const env = {
    KAFKA_BROKERS: kafkaBrokers,
    LOG_LEVEL: 'info',
    // The MLLP listener without a sender allow-list is a development setting.
    SLIDECHARGE_ENV: 'development',
    SCANNER_DEV_API_KEY: SCANNER_API_KEY,
    ACCESSION_MLLP_PORT: String(mllpPort),
    // The v2.3 LIS below has no SAC: its slide barcodes ride in OBR-21 (filler field 2).
    ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21',
  };
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-lis-orders-logs').start())));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop('SIGTERM')));
});

async function http(method: string, url: string, body?: unknown) {
  const credential: Record<string, string> = url.startsWith(services['scanner-events'].url)
    ? { 'x-api-key': SCANNER_API_KEY }
    : { authorization: `Bearer ${await tokenFor('ops-viewer')}` };
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...credential, 'x-correlation-id': `e2e-lis-orders-${run}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A segment as an LIS interface engine writes it: fields by position, components already joined. */
function segment(name: string, fields: Record<number, string>): Hl7Segment {
  const last = Math.max(0, ...Object.keys(fields).map(Number));
  const values = Array.from({ length: last }, (_, i) => fields[i + 1] ?? '');
  if (name === 'MSH') return new Hl7Segment(['MSH', '^~\\&', ...values.slice(2)]);
  return new Hl7Segment([name, ...values]);
}

interface Header {
  type: 'ORM^O01' | 'ORM^O01^ORM_O01' | 'OML^O21^OML_O21';
  version: string;
  controlId: string;
  /** MSH-15 / MSH-16: enhanced acknowledgment mode when set. */
  accept?: string;
  application?: string;
  charset: string;
}

const msh = (h: Header) =>
  segment('MSH', { 3: `COPATH${run}`, 4: 'STMARYS', 5: 'SLIDECHARGE', 6: 'PATH', 7: `${COLLECTED_HL7}093000`, 9: h.type, 10: h.controlId, 11: 'P', 12: h.version, 15: h.accept ?? '', 16: h.application ?? '', 18: h.charset });
const pid = (accession: string) => segment('PID', { 1: '1', 3: `MRN-${accession}^^^STMARYS^MR`, 5: 'MÜLLER^JÜRGEN', 7: '19580312', 8: 'M' });
const in1 = () => segment('IN1', { 1: '1', 2: 'PPO1^Aetna Choice PPO', 3: 'AETNA', 4: 'AETNA' });
const orc = (accession: string, part: string) =>
  segment('ORC', { 1: 'NW', 2: `PL-${accession}-${part}^EPIC`, 3: `${accession}^COPATH`, 12: '1234567893^WELBY^MARCUS^^^DR^^^^^^^NPI' });
const dg1 = () => segment('DG1', { 1: '1', 3: 'C50.911^Malignant neoplasm of breast^I10' });

/** Sends one message with the LIS's own MLLP client, in its character set; the response as a parsed message. */
async function send(message: Hl7Message, encoding: string): Promise<Hl7Message> {
  const client = new Hl7Client({ host: '127.0.0.1', port: mllpPort, encoding });
  try {
    return await client.sendAndWait(message, { timeoutMs: 20_000 });
  } finally {
    await client.close();
  }
}

const field = (msg: Hl7Message, name: string, n: number) => msg.getSegment(name)?.getField(n)?.toString() ?? '';
const slideOf = (accession: string, part: string) => `${accession}-${part}1-1`;

/** The scanner middleware reports a passing scan of a slide. */
async function scan(slideBarcode: string): Promise<void> {
  const scanId = randomUUID();
  const res = await http('POST', `${services['scanner-events'].url}/scan-events`, {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode,
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 },
  });
  expect(res.status).toBe(202);
}

interface ChargeLine {
  specimenId: string;
  code: string;
  primaryCode: string;
  units: number;
  status: string;
  dateOfService: string;
  payerId: string;
}

/** The accession's charges once `count` of them are posted, as [specimen, code, primary code, units], sorted. */
async function postedCharges(accession: string, count: number): Promise<ChargeLine[]> {
  return eventually(async () => {
    const res = await http('GET', `${services.billing.url}/charges?accession=${accession}`);
    const items = (res.status === 200 ? res.body.items : []) as ChargeLine[];
    const posted = items.filter((c) => c.status === 'posted');
    return posted.length >= count ? posted.sort((a, b) => a.specimenId.localeCompare(b.specimenId)) : undefined;
  }, 60_000, `${count} posted charges for ${accession}`);
}

const lines = (charges: ChargeLine[]) => charges.map((c) => [c.specimenId, c.code, c.primaryCode, c.units]);

it('ORM^O01 v2.3, one order per specimen in ISO-8859-1, slides in OBR-21 -> ORR^O02 AA each; scans -> 0753T x2 for A, 0754T x1 for B', async () => {
  const accession = `LO${run}-1`;
  /** One specimen's order: OBR-20 names the part, OBR-27 its quantity, OBR-15 the source (ISO-8859-1 text), OBR-21 its slide. */
  const order = (part: string, cpt: string, quantity: string, source: string) =>
    new Hl7Message([
      msh({ type: 'ORM^O01', version: '2.3', controlId: `LIS${run}A${part}`, charset: '8859/1' }),
      pid(accession),
      in1(),
      orc(accession, part),
      segment('OBR', { 1: '1', 2: `PL-${accession}-${part}^EPIC`, 3: `${accession}^COPATH`, 4: `${cpt}^Surgical pathology^C4`, 7: COLLECTED_HL7, 15: `TISS&${source}`, 20: part, 21: slideOf(accession, part), 27: quantity }),
      dg1(),
    ]);

  for (const [part, cpt, quantity, source] of [['A', '88305', '2', 'Hüfte links'], ['B', '88307', '1', 'Lymphknoten rechts, Größe 2 cm']] as const) {
    const response = await send(order(part, cpt, quantity, source), 'latin1');
    expect([field(response, 'MSH', 9), field(response, 'MSA', 1)]).toEqual(['ORR^O02', 'AA']);
    expect(field(response, 'MSA', 2)).toBe(`LIS${run}A${part}`);
    expect(response.getAllSegments('ERR')).toHaveLength(0);
  }

  // The case as stored: both specimens with their units, the ISO-8859-1 text and name intact.
  const stored = await http('GET', `${services.accession.url}/cases/${accession}`);
  expect(stored.status).toBe(200);
  expect(stored.body).toMatchObject({
    accessionNumber: accession,
    version: 2,
    patient: { familyName: 'MÜLLER', givenName: 'JÜRGEN' },
    payer: { payerId: 'AETNA' },
    collectionDate: COLLECTED,
    specimens: [
      { specimenId: 'A', description: 'Hüfte links', primaryCpt: '88305', units: 2 },
      { specimenId: 'B', description: 'Lymphknoten rechts, Größe 2 cm', primaryCpt: '88307', units: 1 },
    ],
  });
  expect(stored.body.slides).toEqual([
    { barcode: slideOf(accession, 'A'), specimenId: 'A' },
    { barcode: slideOf(accession, 'B'), specimenId: 'B' },
  ]);

  await scan(slideOf(accession, 'A'));
  await scan(slideOf(accession, 'B'));
  const charges = await postedCharges(accession, 2);
  expect(lines(charges)).toEqual([
    ['A', '0753T', '88305', 2],
    ['B', '0754T', '88307', 1],
  ]);
  expect(charges.every((c) => c.payerId === 'AETNA' && c.dateOfService === COLLECTED)).toBe(true);
});

it('ORM^O01 v2.5.1 with TQ1-2 = 3 and MSH-15=AL -> commit ACK CA; scan -> 0753T x3', async () => {
  const accession = `LO${run}-2`;
  const controlId = `LIS${run}B`;
  const message = new Hl7Message([
    msh({ type: 'ORM^O01^ORM_O01', version: '2.5.1', controlId, accept: 'AL', application: 'NE', charset: 'UNICODE UTF-8' }),
    pid(accession),
    in1(),
    orc(accession, 'A'),
    segment('TQ1', { 1: '1', 2: '3^EA' }),
    segment('OBR', { 1: '1', 2: `PL-${accession}-A`, 3: accession, 4: '88305^Surgical pathology^C4', 7: COLLECTED_HL7, 20: 'A', 44: '88305^^C4' }),
    dg1(),
    segment('SAC', { 3: slideOf(accession, 'A'), 4: 'A1' }),
  ]);
  const response = await send(message, 'utf-8');
  expect([field(response, 'MSH', 9), field(response, 'MSA', 1), field(response, 'MSA', 2)]).toEqual(['ACK^O01^ACK', 'CA', controlId]);

  const stored = await http('GET', `${services.accession.url}/cases/${accession}`);
  expect(stored.body.specimens).toEqual([expect.objectContaining({ specimenId: 'A', primaryCpt: '88305', units: 3 })]);

  await scan(slideOf(accession, 'A'));
  expect(lines(await postedCharges(accession, 1))).toEqual([['A', '0753T', '88305', 3]]);
});

it('OML^O21 v2.5.1 with SPM + SAC and TQ1-2 = 2, ISO-8859-1 -> ORL^O22 AA; scan -> 0753T x2', async () => {
  const accession = `LO${run}-3`;
  const controlId = `LIS${run}C`;
  const message = new Hl7Message([
    msh({ type: 'OML^O21^OML_O21', version: '2.5.1', controlId, charset: '8859/1' }),
    pid(accession),
    in1(),
    orc(accession, 'A'),
    segment('TQ1', { 1: '1', 2: '2' }),
    segment('OBR', { 1: '1', 2: `PL-${accession}-A`, 3: accession, 4: '88305^Surgical pathology^C4', 7: COLLECTED_HL7, 44: '88305^^C4' }),
    dg1(),
    segment('SPM', { 1: '1', 2: `A^${accession}-A`, 4: 'TISS^Tissue^HL70487', 14: 'Gewebe aus der Brustdrüse', 17: COLLECTED_HL7 }),
    segment('SAC', { 3: slideOf(accession, 'A'), 4: 'A1' }),
  ]);
  const response = await send(message, 'latin1');
  expect([field(response, 'MSH', 9), field(response, 'MSA', 1), field(response, 'MSA', 2)]).toEqual(['ORL^O22^ORL_O22', 'AA', controlId]);
  expect(response.getAllSegments('ERR')).toHaveLength(0);

  const stored = await http('GET', `${services.accession.url}/cases/${accession}`);
  expect(stored.body.specimens).toEqual([expect.objectContaining({ specimenId: 'A', description: 'Gewebe aus der Brustdrüse', primaryCpt: '88305', units: 2 })]);

  await scan(slideOf(accession, 'A'));
  expect(lines(await postedCharges(accession, 1))).toEqual([['A', '0753T', '88305', 2]]);
});
