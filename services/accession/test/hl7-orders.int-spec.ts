import { randomUUID } from 'node:crypto';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { asCaller, TestCaller } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { accessionEnv, RunningAccession, startAccessionApp } from './harness';

/**
 * Orders as real LIS systems build them, with an independent HL7 v2 implementation (@medplum/core's
 * Hl7Message / Hl7Segment) sent by its own MLLP client (@medplum/hl7's Hl7Client), into the
 * in-process accession service (real Postgres and Kafka): one order per specimen, TQ1 quantities,
 * ISO-8859-1 text, MSH-15=AL. Checks the response type and codes and the case as stored.
 */
// The v2.3 LIS below has no SAC: its slide barcodes ride in OBR-21 (filler field 2), repeated. The
// v2.5.1 LIS puts the date an archived specimen was obtained from storage in SPM-18, as agreed.
const env = accessionEnv({ ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21', ACCESSION_HL7_RETRIEVAL_DATE_FIELD: 'SPM-18' });

let specimenMode: RunningAccession;
let caseMode: RunningAccession;

beforeAll(async () => {
  specimenMode = await startAccessionApp(loadServiceConfig(env));
  caseMode = await startAccessionApp(loadServiceConfig({ ...env, ACCESSION_HL7_ORDER_MERGE: 'case' }));
});

afterAll(async () => {
  await specimenMode?.app.close();
  await caseMode?.app.close();
});

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `HO${run}-${++counter}`;
const newControlId = () => `LIS${run}${++counter}`;
const http = (service: RunningAccession = specimenMode, caller: TestCaller = 'integration-admin') => asCaller(service.baseUrl, caller);

/** A segment as an LIS interface engine writes it: fields by position, components already joined. */
function segment(name: string, fields: Record<number, string>): Hl7Segment {
  const last = Math.max(0, ...Object.keys(fields).map(Number));
  const values = Array.from({ length: last }, (_, i) => fields[i + 1] ?? '');
  if (name === 'MSH') return new Hl7Segment(['MSH', '^~\\&', ...values.slice(2)]);
  return new Hl7Segment([name, ...values]);
}

interface Header {
  type: 'ORM^O01^ORM_O01' | 'ORM^O01' | 'OML^O21^OML_O21';
  version: string;
  controlId: string;
  /** MSH-15 / MSH-16: enhanced acknowledgment mode when set. */
  accept?: string;
  application?: string;
  charset?: string;
}

function msh(h: Header): Hl7Segment {
  return segment('MSH', { 3: `COPATH${run}`, 4: 'STMARYS', 5: 'SLIDECHARGE', 6: 'PATH', 7: '20261120093000', 9: h.type, 10: h.controlId, 11: 'P', 12: h.version, 15: h.accept ?? '', 16: h.application ?? '', 18: h.charset ?? '' });
}

const pid = (accession: string) =>
  segment('PID', { 1: '1', 3: `MRN-${accession}^^^STMARYS^MR`, 5: 'MÜLLER^JÜRGEN', 7: '19580312', 8: 'M' });
const orc = (control: string, accession: string, part: string) =>
  segment('ORC', { 1: control, 2: `PL-${accession}-${part}^EPIC`, 3: `${accession}^COPATH`, 12: '1234567893^WELBY^MARCUS^^^DR^^^^^^^NPI' });

/** Sends one message with the LIS's own MLLP client, in its character set; the response as a parsed message. */
async function send(service: RunningAccession, message: Hl7Message, encoding = 'utf-8'): Promise<Hl7Message> {
  const client = new Hl7Client({ host: '127.0.0.1', port: service.mllpPort, encoding });
  try {
    return await client.sendAndWait(message, { timeoutMs: 20_000 });
  } finally {
    await client.close();
  }
}

const field = (msg: Hl7Message, name: string, n: number) => msg.getSegment(name)?.getField(n)?.toString() ?? '';
const storedCase = async (accession: string, service: RunningAccession = specimenMode) => (await http(service).get(`/cases/${accession}`).expect(200)).body;

describe('ORM^O01 v2.3, one order per specimen, ISO-8859-1 (CoPath style: no SAC, no TQ1)', () => {
  const accession = newAccession();
  /** One specimen's order: OBR-20 names the part, OBR-27 its quantity, OBR-15 the source (ISO-8859-1 text). */
  const order = (control: string, part: string, cpt: string, quantity: string, source: string) =>
    new Hl7Message([
      msh({ type: 'ORM^O01', version: '2.3', controlId: newControlId(), charset: '8859/1' }),
      pid(accession),
      segment('IN1', { 1: '1', 2: 'PPO1^Aetna Choice PPO', 3: 'AETNA', 4: 'AETNA' }),
      orc(control, accession, part),
      segment('OBR', { 1: '1', 2: `PL-${accession}-${part}^EPIC`, 3: `${accession}^COPATH`, 4: `${cpt}^Surgical pathology^C4`, 7: '20261118', 15: `TISS&${source}`, 20: part, 27: quantity }),
      segment('DG1', { 1: '1', 3: 'C50.911^Malignant neoplasm of breast^I10' }),
    ]);

  it('specimen A (NW, quantity 2) -> ORR^O02 (two-part MSH-9), AA with the no-slide warning in MSA-3; the name and text keep their umlauts', async () => {
    const response = await send(specimenMode, order('NW', 'A', '88305', '2', 'Hüfte links'), 'latin1');
    expect(field(response, 'MSH', 9)).toBe('ORR^O02');
    expect(field(response, 'MSH', 18)).toBe('8859/1');
    expect(field(response, 'MSA', 1)).toBe('AA');
    expect(field(response, 'MSA', 3)).toContain('scans cannot match until slides are sent');
    expect(response.getAllSegments('ERR')).toHaveLength(0);
    expect(field(response, 'ORC', 1)).toBe('OK');
    expect(field(response, 'PID', 5)).toBe('MÜLLER^JÜRGEN');
    const stored = await storedCase(accession);
    expect(stored.specimens).toEqual([{ specimenId: 'A', description: 'Hüfte links', primaryCpt: '88305', units: 2 }]);
    expect(stored.slides).toEqual([]);
    expect(stored.orderingProvider).toBe('1234567893 WELBY, MARCUS');
  });

  it('specimen B (NW) is added to the case, A stays', async () => {
    const response = await send(specimenMode, order('NW', 'B', '88307', '1', 'Lymphknoten'), 'latin1');
    expect(field(response, 'MSA', 1)).toBe('AA');
    const stored = await storedCase(accession);
    expect(stored.specimens.map((s: { specimenId: string; units: number }) => [s.specimenId, s.units])).toEqual([['A', 2], ['B', 1]]);
    expect(stored.version).toBe(2);
  });

  it('cancel of specimen B (ORC-1 CA) removes B only, answered CR; cancelling A, the last one, cancels the case', async () => {
    const cancelB = await send(specimenMode, order('CA', 'B', '88307', '1', 'Lymphknoten'), 'latin1');
    expect([field(cancelB, 'MSA', 1), field(cancelB, 'ORC', 1)]).toEqual(['AA', 'CR']);
    expect((await storedCase(accession)).specimens.map((s: { specimenId: string }) => s.specimenId)).toEqual(['A']);
    const cancelA = await send(specimenMode, order('CA', 'A', '88305', '2', 'Hüfte links'), 'latin1');
    expect(field(cancelA, 'MSA', 1)).toBe('AA');
    expect((await storedCase(accession)).status).toBe('cancelled');
  });

  it('a v2.3 order with its slides in the configured field (OBR-21 repetitions) -> the slides are stored, no warning', async () => {
    const other = newAccession();
    const message = new Hl7Message([
      msh({ type: 'ORM^O01', version: '2.3', controlId: newControlId(), charset: '8859/1' }),
      pid(other),
      segment('IN1', { 1: '1', 3: 'MEDICARE', 4: 'MEDICARE' }),
      orc('NW', other, 'A'),
      segment('OBR', { 1: '1', 3: other, 4: '88305^^C4', 7: '20261118', 20: 'A', 21: `${other}-A1-1~${other}-A1-2` }),
    ]);
    const response = await send(specimenMode, message, 'latin1');
    expect([field(response, 'MSA', 1), field(response, 'MSA', 3)]).toEqual(['AA', `case ${other} created (version 1)`]);
    expect((await storedCase(other)).slides).toEqual([
      { barcode: `${other}-A1-1`, specimenId: 'A' },
      { barcode: `${other}-A1-2`, specimenId: 'A' },
    ]);
  });

  it('an unknown MSH-18 -> AR with ERR-1 at MSH-18 (table 0357 code 103), nothing stored', async () => {
    const other = newAccession();
    const message = new Hl7Message([
      msh({ type: 'ORM^O01', version: '2.3', controlId: newControlId(), charset: 'EBCDIC' }),
      pid(other),
      orc('NW', other, 'A'),
      segment('OBR', { 1: '1', 3: other, 4: '88305^^C4', 7: '20261118' }),
    ]);
    const response = await send(specimenMode, message);
    expect(field(response, 'MSA', 1)).toBe('AR');
    expect(field(response, 'ERR', 1)).toBe('MSH^1^18^103&Table value not found&HL70357');
    await http().get(`/cases/${other}`).expect(404);
  });
});

describe('ORM^O01 v2.5.1, one order per specimen, TQ1 quantity, MSH-15=AL (enhanced mode)', () => {
  const accession = newAccession();
  const order = (control: string, part: string, cpt: string, quantity: string, slides: string[]) =>
    new Hl7Message([
      msh({ type: 'ORM^O01^ORM_O01', version: '2.5.1', controlId: newControlId(), accept: 'AL', application: 'NE', charset: 'UNICODE UTF-8' }),
      pid(accession),
      orc(control, accession, part),
      segment('TQ1', { 1: '1', 2: `${quantity}^EA` }),
      segment('OBR', { 1: '1', 2: `PL-${accession}-${part}`, 3: accession, 4: `${cpt}^Surgical pathology^C4`, 7: '20261118', 20: part, 44: `${cpt}^^C4` }),
      ...slides.map((barcode) => segment('SAC', { 3: barcode, 4: `${part}1` })),
    ]);

  it('specimens A (TQ1-2 = 3) and B -> commit accept ACK^O01^ACK with CA each; units from TQ1', async () => {
    for (const [part, cpt, quantity] of [['A', '88305', '3'], ['B', '88307', '1']] as const) {
      const response = await send(specimenMode, order('NW', part, cpt, quantity, [`${accession}-${part}1-1`]));
      expect([field(response, 'MSH', 9), field(response, 'MSA', 1)]).toEqual(['ACK^O01^ACK', 'CA']);
    }
    const stored = await storedCase(accession);
    expect(stored.specimens).toEqual([
      { specimenId: 'A', description: 'Surgical pathology', primaryCpt: '88305', units: 3 },
      { specimenId: 'B', description: 'Surgical pathology', primaryCpt: '88307', units: 1 },
    ]);
    expect(stored.slides.map((s: { barcode: string }) => s.barcode).sort()).toEqual([`${accession}-A1-1`, `${accession}-B1-1`]);
  });

  it('a change of A (XO) keeps B with the flags and diagnosis pointers set over REST', async () => {
    const current = await storedCase(accession);
    const { patientId, payer, collectionDate, orderingProvider, slides } = current;
    const specimens = current.specimens.map((s: { specimenId: string }) => (s.specimenId === 'B' ? { ...s, diagnosisPointers: [1] } : s));
    await http(specimenMode, 'lis-integration').put(`/cases/${accession}`).send({ patientId, payer, collectionDate, orderingProvider, diagnoses: ['C50.911'], flags: { digitalSignOut: true }, specimens, slides }).expect(200);

    const response = await send(specimenMode, order('XO', 'A', '88307', '2', []));
    expect(field(response, 'MSA', 1)).toBe('CA');
    const stored = await storedCase(accession);
    expect(stored.flags).toEqual({ digitalSignOut: true });
    expect(stored.specimens).toEqual([
      { specimenId: 'A', description: 'Surgical pathology', primaryCpt: '88307', units: 2 },
      { specimenId: 'B', description: 'Surgical pathology', primaryCpt: '88307', units: 1, diagnosisPointers: [1] },
    ]);
    // A's slide is kept: the change did not list slides.
    expect(stored.slides).toHaveLength(2);
  });
});

describe('OML^O21 v2.5.1, one order per specimen with SPM, ISO-8859-1, original mode', () => {
  const accession = newAccession();
  const header = () => msh({ type: 'OML^O21^OML_O21', version: '2.5.1', controlId: newControlId(), charset: '8859/1' });
  const orderGroup = (part: string, cpt: string, quantity: string) => [
    orc('NW', accession, part),
    segment('TQ1', { 1: '1', 2: quantity }),
    segment('OBR', { 1: '1', 2: `PL-${accession}-${part}`, 3: accession, 4: `${cpt}^Surgical pathology^C4`, 7: '20261118', 44: `${cpt}^^C4` }),
  ];

  it('specimen A (SPM, SAC slides, TQ1-2 = 2) -> ORL^O22^ORL_O22, AA, ORC-1 OK echoing ORC-2/ORC-3', async () => {
    const message = new Hl7Message([
      header(),
      pid(accession),
      segment('IN1', { 1: '1', 2: 'PPO1^Aetna Choice PPO', 3: 'AETNA', 4: 'AETNA' }),
      ...orderGroup('A', '88305', '2'),
      segment('SPM', { 1: '1', 2: `A^${accession}-A`, 4: 'TISS^Tissue^HL70487', 14: 'Gewebe aus der Brustdrüse', 17: '20261118' }),
      segment('SAC', { 3: `${accession}-A1-1`, 4: 'A1' }),
      segment('SAC', { 3: `${accession}-A1-2`, 4: 'A1' }),
    ]);
    const response = await send(specimenMode, message, 'latin1');
    expect([field(response, 'MSH', 9), field(response, 'MSA', 1)]).toEqual(['ORL^O22^ORL_O22', 'AA']);
    expect(response.getAllSegments('ERR')).toHaveLength(0);
    expect(field(response, 'ORC', 1)).toBe('OK');
    expect(field(response, 'ORC', 3)).toBe(`${accession}^COPATH`);
    const stored = await storedCase(accession);
    expect(stored.specimens).toEqual([{ specimenId: 'A', description: 'Gewebe aus der Brustdrüse', primaryCpt: '88305', units: 2 }]);
    expect(stored.slides).toEqual([
      { barcode: `${accession}-A1-1`, specimenId: 'A', block: 'A1' },
      { barcode: `${accession}-A1-2`, specimenId: 'A', block: 'A1' },
    ]);
  });

  it('specimen B with its slide as an SPM (SPM-27 container type SLIDE, SPM-3 parent block) is added; A keeps its slides', async () => {
    const message = new Hl7Message([
      header(),
      pid(accession),
      ...orderGroup('B', '88307', '1'),
      segment('SPM', { 1: '1', 2: `B^${accession}-B`, 4: 'TISS^Tissue^HL70487', 17: '20261118' }),
      segment('SPM', { 1: '2', 2: `${accession}-B1-1`, 3: 'B1', 4: 'TISS^Tissue^HL70487', 27: 'SLIDE^Slide^L' }),
    ]);
    const response = await send(specimenMode, message, 'latin1');
    expect(field(response, 'MSA', 1)).toBe('AA');
    const stored = await storedCase(accession);
    expect(stored.specimens.map((s: { specimenId: string; units: number }) => [s.specimenId, s.units])).toEqual([['A', 2], ['B', 1]]);
    expect(stored.slides).toHaveLength(3);
    expect(stored.slides).toContainEqual({ barcode: `${accession}-B1-1`, specimenId: 'B', block: 'B1' });
  });

  it('a specimen without any slide -> AA with an ERR of severity W saying scans cannot match', async () => {
    const other = newAccession();
    const message = new Hl7Message([
      header(),
      pid(other),
      orc('NW', other, 'A'),
      segment('OBR', { 1: '1', 3: other, 4: '88305^^C4', 7: '20261118' }),
      segment('SPM', { 1: '1', 2: 'A', 4: 'TISS', 17: '20261118' }),
    ]);
    const response = await send(specimenMode, message, 'latin1');
    expect(field(response, 'MSA', 1)).toBe('AA');
    const warnings = response.getAllSegments('ERR').filter((e) => e.getField(4)?.toString() === 'W');
    expect(warnings.map((e) => e.getField(8)?.toString())).toContain('no slides known: scans cannot match until slides are sent');
  });
});

describe('ACCESSION_HL7_RETRIEVAL_DATE_FIELD=SPM-18: the date an archived specimen was obtained from storage', () => {
  const accession = newAccession();
  /** An OML^O21 for specimen A (collected 2026-09-01), SPM-18 as given. */
  const order = (control: string, spm18: string) =>
    new Hl7Message([
      msh({ type: 'OML^O21^OML_O21', version: '2.5.1', controlId: newControlId() }),
      pid(accession),
      orc(control, accession, 'A'),
      segment('OBR', { 1: '1', 3: accession, 4: '88305^^C4', 7: '20260901' }),
      segment('SPM', { 1: '1', 2: 'A', 4: 'TISS', 17: '20260901', 18: spm18 }),
      segment('SAC', { 3: `${accession}-A1-1`, 4: 'A1' }),
    ]);

  it('SPM-18 (DTM) -> the specimen carries retrievedFromStorageDate (its date part)', async () => {
    const response = await send(specimenMode, order('NW', '202611201015-0500'));
    expect(field(response, 'MSA', 1)).toBe('AA');
    const stored = await storedCase(accession);
    expect(stored.collectionDate).toBe('2026-09-01');
    expect(stored.specimens).toEqual([expect.objectContaining({ specimenId: 'A', retrievedFromStorageDate: '2026-11-20' })]);
  });

  it('a change (XO) of A without SPM-18 keeps the stored retrieval date', async () => {
    const response = await send(specimenMode, order('XO', ''));
    expect(field(response, 'MSA', 1)).toBe('AA');
    expect((await storedCase(accession)).specimens).toEqual([expect.objectContaining({ specimenId: 'A', retrievedFromStorageDate: '2026-11-20' })]);
  });

  it('SPM-18 that is not a date -> AE 102 at SPM-18, the case unchanged', async () => {
    const response = await send(specimenMode, order('XO', '20261131'));
    expect(field(response, 'MSA', 1)).toBe('AE');
    expect(field(response, 'ERR', 2)).toMatch(/^SPM\^1\^18/);
    expect(field(response, 'ERR', 3)).toMatch(/^102/);
    expect((await storedCase(accession)).specimens).toEqual([expect.objectContaining({ retrievedFromStorageDate: '2026-11-20' })]);
  });
});

describe('ACCESSION_HL7_ORDER_MERGE=case: an LIS that always sends the whole case', () => {
  it('a change listing only specimen A replaces the case: B is gone', async () => {
    const accession = newAccession();
    const message = (control: string, parts: string[]) =>
      new Hl7Message([
        msh({ type: 'ORM^O01^ORM_O01', version: '2.5.1', controlId: newControlId() }),
        pid(accession),
        ...parts.flatMap((part, i) => [
          orc(control, accession, part),
          segment('OBR', { 1: String(i + 1), 3: accession, 4: '88305^^C4', 7: '20261118' }),
          segment('SAC', { 3: `${accession}-${part}1-1` }),
        ]),
      ]);
    const created = await send(caseMode, message('NW', ['A', 'B']));
    expect([field(created, 'MSH', 9), field(created, 'MSA', 1)]).toEqual(['ORR^O02^ORR_O02', 'AA']);
    expect((await storedCase(accession, caseMode)).specimens).toHaveLength(2);
    const changed = await send(caseMode, message('XO', ['A']));
    expect([field(changed, 'MSA', 1), field(changed, 'ORC', 1)]).toEqual(['AA', 'XR']);
    const stored = await storedCase(accession, caseMode);
    expect(stored.specimens.map((s: { specimenId: string }) => s.specimenId)).toEqual(['A']);
  });
});
