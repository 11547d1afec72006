import fc from 'fast-check';
import { readFileSync } from 'fs';
import { join } from 'path';
import { CaseDetails } from '@slidecharge/contracts';
import { DEFAULT_ORDER_MAPPING, parseOrder, readMessageHeader, type ParseOrderResult } from './order';

const fixture = (name: string, eol = '\r') =>
  readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8').split('\n').filter(Boolean).join(eol);

function ok(r: ParseOrderResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.order;
}
/** An order that creates or replaces the case. */
function upsert(r: ParseOrderResult) {
  const o = ok(r);
  if (o.action !== 'upsert') throw new Error(`expected an upsert, got ${o.action}`);
  return o;
}
function failed(r: ParseOrderResult) {
  if (r.ok) throw new Error('expected a failure');
  return r;
}

describe('parseOrder: real-world shapes', () => {
  it('v2.3 ORM^O01 with specimens as OBR segments (OBR-44 procedure code, OBR-27 units, OBR-7 collection)', () => {
    const o = upsert(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7')));
    expect(o).toMatchObject({ messageControlId: 'CP000101', messageType: 'ORM^O01', version: '2.3', accessionNumber: 'S26-000101', orderControl: 'NW' });
    expect(o.case).toEqual({
      patientId: 'MRN100234',
      payer: { payerId: 'BCBS01', name: 'BLUE CROSS BLUE SHIELD', plan: 'Gold PPO' },
      collectionDate: '2026-03-14',
      patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1964-02-12', administrativeSex: 'F', identifierAuthority: 'STMARYS' },
      orderingProvider: '1234 WELBY, MARCUS',
      diagnoses: ['C50.911', 'N63.10'],
      specimens: [
        { specimenId: 'A', description: 'Breast biopsy right', primaryCpt: '88305', units: 1 },
        { specimenId: 'B', description: 'Breast biopsy right 2', primaryCpt: '88307', units: 2 },
      ],
      slides: [],
    });
    expect(CaseDetails.safeParse(o.case).success).toBe(true);
  });

  it('v2.5.1 OML^O21 with SPM specimens governed by the OBR before them, escapes decoded, repeated PID-3 and DG1-3', () => {
    const o = upsert(parseOrder(fixture('oml-o21-v2.5.1-spm.hl7')));
    expect(o).toMatchObject({ messageType: 'OML^O21', version: '2.5.1', accessionNumber: 'S26-004410', orderControl: 'NW' });
    // PID-3 repeats SSN then MRN: the MR identifier wins.
    expect(o.case.patientId).toBe('E4401987');
    expect(o.case.payer).toEqual({ payerId: 'AETNA', name: 'AETNA & CO', plan: 'Aetna Choice PPO' });
    expect(o.case.collectionDate).toBe('2026-04-01');
    // DG1-3 repetitions are all read; K635 is normalized to K63.5 and de-duplicated.
    expect(o.case.diagnoses).toEqual(['K63.5', 'D12.2']);
    expect(o.case.specimens).toEqual([
      { specimenId: 'A', description: 'Colon biopsy|ascending', primaryCpt: '88305', units: 1 },
      { specimenId: 'B', description: 'Colon biopsy & polyp\nsigmoid', primaryCpt: '88305', units: 1 },
      { specimenId: 'C', description: 'Colon resection', primaryCpt: '88307', units: 1 },
    ]);
  });

  it('v2.4 with Z-segments anywhere: ignored and reported as information', () => {
    const o = upsert(parseOrder(fixture('orm-o01-v2.4-zsegments.hl7')));
    expect(o.orderControl).toBe('XO');
    expect(o.case.specimens.map((s) => [s.specimenId, s.primaryCpt, s.units])).toEqual([
      ['A', '88312', 2],
      ['B', '88342', 1],
    ]);
    expect(o.warnings.map((w) => `${w.segment}:${w.severity}`)).toEqual(['ZPI:I', 'ZDS:I', 'ZBX:I']);
  });

  it('missing optional IN1 and DG1: self-pay with a warning', () => {
    const o = upsert(parseOrder(fixture('orm-o01-v2.5-no-insurance.hl7')));
    expect(o.case.payer).toEqual({ payerId: 'SELF-PAY' });
    expect(o.case.diagnoses).toEqual([]);
    expect(o.warnings).toEqual([expect.objectContaining({ segment: 'IN1', severity: 'W' })]);
  });

  it('order cancel (ORC-1 = CA) parses with its order control', () => {
    expect(ok(parseOrder(fixture('orm-o01-cancel.hl7'))).orderControl).toBe('CA');
  });

  it.each([['\r'], ['\n'], ['\r\n']])('accepts segment terminator %j and MLLP leftovers', (eol) => {
    const text = `\x0b${fixture('orm-o01-v2.3-obr-specimens.hl7', eol)}${eol}\x1c\r`;
    expect(ok(parseOrder(text)).accessionNumber).toBe('S26-000101');
  });
});

describe('parseOrder: rejections and errors', () => {
  it('wrong message type -> AR with 200 at MSH-9', () => {
    const r = failed(parseOrder(fixture('adt-a01-wrong-type.hl7')));
    expect(r.ackCode).toBe('AR');
    expect(r.messageControlId).toBe('ADT-1');
    expect(r.errors).toEqual([expect.objectContaining({ segment: 'MSH', sequence: 1, field: 9, code: '200' })]);
  });

  it('wrong trigger -> AR 201; unsupported version -> AR 203', () => {
    const base = fixture('orm-o01-v2.5-no-insurance.hl7');
    const r1 = failed(parseOrder(base.replace('ORM^O01^ORM_O01', 'ORM^O02')));
    expect(r1.errors.map((e) => e.code)).toEqual(['201']);
    const r2 = failed(parseOrder(base.replace('|T|2.5', '|T|2.8')));
    expect(r2).toMatchObject({ ackCode: 'AR', errors: [expect.objectContaining({ field: 12, code: '203' })] });
  });

  it('missing accession -> AE with ERR locations ORC-3 and OBR-3', () => {
    const r = failed(parseOrder(fixture('orm-o01-missing-accession.hl7')));
    expect(r.ackCode).toBe('AE');
    expect(r.messageControlId).toBe('M-2');
    expect(r.errors.map((e) => `${e.segment}^${e.sequence}^${e.field}:${e.code}`)).toEqual(['ORC^1^3:101', 'OBR^1^3:101']);
  });

  it('not HL7 at all -> AR, never a throw', () => {
    for (const text of ['', 'hello', 'PID|1||x', 'MSH', '\x0b\x1c\r', 'MSH|^~\\&|']) {
      const r = failed(parseOrder(text));
      expect(r.ackCode).toBe('AR');
    }
  });

  it('missing MSH-10 -> AR 101', () => {
    const r = failed(parseOrder(fixture('orm-o01-v2.5-no-insurance.hl7').replace('|M-1|', '||')));
    expect(r.errors).toEqual([expect.objectContaining({ segment: 'MSH', field: 10, code: '101' })]);
  });

  it('contract violations map to HL7 locations: bad ICD-10 at DG1-3, bad CPT at OBR-44, bad date at OBR-7, no patient at PID-3', () => {
    const text = fixture('orm-o01-v2.3-obr-specimens.hl7')
      .replace('N63.10^', 'NOT-ICD^')
      .replace('|88307', '|8830')
      .replace('MRN100234^^^STMARYS^MR', '')
      .replace('|EXT-77|', '||');
    const r = failed(parseOrder(text.replace(/20260314101500/g, '2026031X')));
    expect(r.ackCode).toBe('AE');
    const where = r.errors.map((e) => `${e.segment}^${e.sequence}^${e.field}:${e.code}`);
    expect(where).toEqual(expect.arrayContaining(['DG1^2^3:102', 'OBR^2^44:102', 'OBR^1^7:102', 'PID^1^3:101']));
  });

  it('duplicate specimen ids -> 205 at the second SPM', () => {
    const text = fixture('oml-o21-v2.5.1-spm.hl7').replace('SPM|2|B^', 'SPM|2|A^');
    const r = failed(parseOrder(text));
    expect(r.errors).toEqual([expect.objectContaining({ segment: 'SPM', sequence: 2, field: 2, code: '205' })]);
  });

  it('no ORC -> AE 100; differing filler order numbers -> AE 102 at the odd one', () => {
    const noOrc = fixture('orm-o01-cancel.hl7').split('\r').filter((s) => !s.startsWith('ORC')).join('\r');
    expect(failed(parseOrder(noOrc)).errors).toEqual([expect.objectContaining({ segment: 'ORC', code: '100' })]);
    const odd = fixture('orm-o01-v2.4-zsegments.hl7').replace('OBR|2|PL-7|C26-555', 'OBR|2|PL-7|C26-556');
    expect(failed(parseOrder(odd)).errors).toEqual([expect.objectContaining({ segment: 'OBR', sequence: 2, field: 3, code: '102' })]);
  });

  it('field positions are data: a LIS sending the CPT code in OBR-45 is served by a mapping change', () => {
    const text = fixture('orm-o01-cancel.hl7').replace('ORC|CA|', 'ORC|NW|').replace('|88305', '||88305');
    expect(failed(parseOrder(text)).errors[0]).toMatchObject({ segment: 'OBR', field: 44, code: '101' });
    const mapping = { ...DEFAULT_ORDER_MAPPING, procedureCode: [{ segment: 'OBR', field: 45, component: 1 }], modifiers: [] };
    expect(upsert(parseOrder(text, mapping)).case.specimens[0]?.primaryCpt).toBe('88305');
  });
});

describe('parseOrder: never crashes', () => {
  const names = [
    'orm-o01-v2.3-obr-specimens.hl7',
    'oml-o21-v2.5.1-spm.hl7',
    'orm-o01-v2.4-zsegments.hl7',
    'orm-o01-missing-accession.hl7',
    'orm-o01-cancel-minimal.hl7',
    'orm-o01-v2.5.1-slides-partial-cancel.hl7',
    'oml-o21-v2.5.1-slides.hl7',
  ];
  it('property: fixtures with random edits give ok or AE/AR with HL7 locations, never a throw', () => {
    const edit = fc.record({ pos: fc.nat(), len: fc.nat({ max: 12 }), insert: fc.string({ maxLength: 12 }) });
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(edit, { minLength: 1, maxLength: 5 }), (name, edits) => {
        let text = fixture(name);
        for (const e of edits) {
          const p = e.pos % (text.length + 1);
          text = text.slice(0, p) + e.insert + text.slice(p + e.len);
        }
        const r = parseOrder(text);
        if (r.ok && r.order.action === 'upsert') expect(CaseDetails.safeParse(r.order.case).success).toBe(true);
        else if (r.ok) expect(r.order.accessionNumber).not.toBe('');
        else {
          expect(['AE', 'AR']).toContain(r.ackCode);
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) expect(e.segment).toMatch(/^[A-Z0-9]{0,3}$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseOrder: order control (ORC-1) decides the action', () => {
  it('a cancel needs only MSH, the accession (ORC-3) and optionally PID: ORC-16 gives the reason', () => {
    const o = ok(parseOrder(fixture('orm-o01-cancel-minimal.hl7')));
    expect(o).toMatchObject({
      action: 'cancel',
      accessionNumber: 'S26-000101',
      orderControl: 'CA',
      patientId: 'MRN100234',
      cancelReason: 'cancelled by the LIS (ORC-1 CA, message CP000103): Duplicate order entered in error',
    });
    expect(o.locations['accessionNumber']).toEqual({ segment: 'ORC', sequence: 1, field: 3 });
    expect(o.locations['patientId']).toEqual({ segment: 'PID', sequence: 1, field: 3, repetition: 1 });
  });

  it.each(['CA', 'OC', 'CR'])('ORC-1 %s cancels even when the rest of the case is incomplete or wrong', (code) => {
    const text = fixture('orm-o01-cancel.hl7').replace('ORC|CA|', `ORC|${code}|`).replace('|88305', '|NOT-A-CPT').replace(/IN1\|[^\r]*\r/, '');
    const o = ok(parseOrder(text));
    expect(o).toMatchObject({ action: 'cancel', orderControl: code, accessionNumber: 'S26-000101' });
    expect(o.action === 'cancel' && o.cancelReason).toBe(`cancelled by the LIS (ORC-1 ${code}, message CP000102)`);
  });

  it('a cancel without PID is accepted; one without an accession is AE naming ORC-3 and OBR-3', () => {
    const noPid = fixture('orm-o01-cancel-minimal.hl7').split('\r').filter((s) => !s.startsWith('PID')).join('\r');
    const o = ok(parseOrder(noPid));
    expect(o.action).toBe('cancel');
    expect(o.action === 'cancel' && o.patientId).toBeUndefined();
    const r = failed(parseOrder(fixture('orm-o01-cancel-minimal.hl7').replace('|S26-000101|', '||')));
    expect(r.ackCode).toBe('AE');
    expect(r.errors.map((e) => `${e.segment}^${e.sequence}^${e.field}:${e.code}`)).toEqual(['ORC^1^3:101', 'OBR^1^3:101']);
  });

  it.each(['NW', 'XO', 'XX', 'XR'])('ORC-1 %s creates or replaces the whole case', (code) => {
    const o = upsert(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7').replace(/ORC\|NW\|/, `ORC|${code}|`)));
    expect(o.orderControl).toBe(code);
    expect(o.case.specimens).toHaveLength(2);
  });

  it('other table 0119 values (SC status changed, DC discontinue, ...) are AR with ERR at ORC-1', () => {
    const r = failed(parseOrder(fixture('orm-o01-status-changed.hl7')));
    expect(r).toMatchObject({ ackCode: 'AR', messageControlId: 'CP000104' });
    expect(r.errors).toEqual([expect.objectContaining({ segment: 'ORC', sequence: 1, field: 1, code: '201' })]);
    expect(r.errors[0]?.message).toMatch(/SC is not acted upon; send NW\/XO\/XX\/XR .* CA\/OC\/CR/);
    const dc = failed(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7').replace('ORC|NW|', 'ORC|DC|')));
    expect(dc.ackCode).toBe('AR');
  });

  it('a value outside table 0119 is AE 103 at ORC-1; an empty ORC-1 AE 101', () => {
    expect(failed(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7').replace('ORC|NW|', 'ORC|ZZ|'))).errors).toEqual([
      expect.objectContaining({ segment: 'ORC', sequence: 1, field: 1, code: '103', message: 'ORC-1 order control ZZ is not in HL7 table 0119' }),
    ]);
    const empty = failed(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7').replace('ORC|NW|', 'ORC||')));
    expect(empty).toMatchObject({ ackCode: 'AE', errors: [expect.objectContaining({ segment: 'ORC', field: 1, code: '101' })] });
  });

  it('a cancelling ORC among others removes the specimens (and slides) of its OBRs from the case', () => {
    const o = upsert(parseOrder(fixture('orm-o01-v2.5.1-slides-partial-cancel.hl7')));
    expect(o.orderControl).toBe('NW');
    expect(o.case.specimens).toEqual([{ specimenId: 'A', description: 'Skin punch left arm', primaryCpt: '88305', units: 1, modifiers: ['59', 'Q1'] }]);
    expect(o.case.slides).toEqual([
      { barcode: 'N26-0451-A1-1', specimenId: 'A', block: 'A1' },
      { barcode: 'N26-0451-A1-2', specimenId: 'A', block: 'A1' },
    ]);
    expect(o.warnings).toEqual([expect.objectContaining({ segment: 'OBR', sequence: 2, severity: 'I', message: 'OBR 2 left out: its order is cancelled (ORC 2)' })]);
  });
});

describe('parseOrder: slides (SAC) and modifiers (OBR-45)', () => {
  it('OML^O21: each SAC is a slide of the SPM before it (SAC-3 barcode, SAC-4 block); OBR-45 repetitions are modifiers', () => {
    const o = upsert(parseOrder(fixture('oml-o21-v2.5.1-slides.hl7')));
    expect(o.case.specimens).toEqual([
      { specimenId: 'A', description: 'Prostate core left base', primaryCpt: '88305', units: 1, modifiers: ['GA', 'Q1'] },
      { specimenId: 'B', description: 'Prostate core right base', primaryCpt: '88305', units: 1, modifiers: ['GA', 'Q1'] },
    ]);
    expect(o.case.slides).toEqual([
      { barcode: 'S26-009901-A1-1', specimenId: 'A', block: 'A1' },
      { barcode: 'S26-009901-A1-2', specimenId: 'A', block: 'A1' },
      { barcode: 'S26-009901-B1-1', specimenId: 'B', block: 'B1' },
    ]);
    // A Z-segment between two SACs changes nothing.
    expect(o.warnings.map((w) => w.segment)).toEqual(['ZSL']);
    expect(o.locations['slides.2.barcode']).toEqual({ segment: 'SAC', sequence: 3, field: 3, component: 1 });
    expect(o.locations['specimens.0.modifiers.1']).toEqual({ segment: 'OBR', sequence: 1, field: 45, repetition: 2 });
  });

  it('a bad barcode is AE at its SAC-3; a barcode twice is 205 at the second; a SAC before any specimen is 100', () => {
    const text = fixture('oml-o21-v2.5.1-slides.hl7');
    const bad = failed(parseOrder(text.replace('SAC|||S26-009901-A1-2|', 'SAC|||S26 009901|')));
    expect(bad.errors).toEqual([expect.objectContaining({ segment: 'SAC', sequence: 2, field: 3, code: '102' })]);
    const twice = failed(parseOrder(text.replace('SAC|||S26-009901-B1-1|', 'SAC|||S26-009901-A1-1|')));
    expect(twice.errors).toEqual([expect.objectContaining({ segment: 'SAC', sequence: 3, field: 3, code: '205' })]);
    const lines = text.split('\r');
    const early = [...lines.slice(0, 3), 'SAC|||X-1-1|A1', ...lines.slice(3)].join('\r');
    expect(failed(parseOrder(early)).errors).toEqual([expect.objectContaining({ segment: 'SAC', sequence: 1, field: 0, code: '100' })]);
  });

  it('a lower-case modifier is upper-cased; a malformed one is AE at its OBR-45 repetition', () => {
    const text = fixture('oml-o21-v2.5.1-slides.hl7');
    expect(upsert(parseOrder(text.replace('|GA~Q1', '|ga~q1'))).case.specimens[0]?.modifiers).toEqual(['GA', 'Q1']);
    expect(failed(parseOrder(text.replace('|GA~Q1', '|GA~Q1X'))).errors).toEqual([
      expect.objectContaining({ segment: 'OBR', sequence: 1, field: 45, repetition: 2, code: '102' }),
    ]);
  });

  it('wrong message type ORU^R01 -> AR 200', () => {
    const r = failed(parseOrder(fixture('oru-r01-wrong-type.hl7')));
    expect(r).toMatchObject({ ackCode: 'AR', messageControlId: 'R-77', errors: [expect.objectContaining({ field: 9, code: '200' })] });
  });
});

describe('readMessageHeader', () => {
  it('reads the header of orders and of other messages', () => {
    expect(readMessageHeader(fixture('oml-o21-v2.5.1-spm.hl7'))).toEqual({
      sendingApplication: 'BEAKER',
      sendingFacility: 'UNIV_HOSP',
      receivingApplication: 'SLIDECHARGE',
      receivingFacility: 'PATHDEPT',
      dateTime: '20260402141500-0500',
      messageType: 'OML^O21',
      controlId: 'BK-88213',
      processingId: 'P',
      version: '2.5.1',
      orderControl: 'NW',
      accessionNumber: 'S26-004410',
    });
    expect(readMessageHeader(fixture('adt-a01-wrong-type.hl7'))).toMatchObject({ messageType: 'ADT^A01', controlId: 'ADT-1', orderControl: '', accessionNumber: '' });
    expect(readMessageHeader(fixture('orm-o01-missing-accession.hl7'))).toMatchObject({ accessionNumber: '', orderControl: 'NW' });
  });

  it('undefined for text without MSH, never a throw', () => {
    for (const text of ['', 'garbage', 'PID|1', '\x0b\x1c\r']) expect(readMessageHeader(text)).toBeUndefined();
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const h = readMessageHeader(`MSH|^~\\&|${s}`);
      expect(h === undefined || typeof h.controlId === 'string').toBe(true);
    }));
  });
});
