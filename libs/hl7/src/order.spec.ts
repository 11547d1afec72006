import fc from 'fast-check';
import { readFileSync } from 'fs';
import { join } from 'path';
import { CaseDetails } from '@slidecharge/contracts';
import { DEFAULT_ORDER_MAPPING, parseOrder, type ParseOrderResult } from './order';

const fixture = (name: string, eol = '\r') =>
  readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8').split('\n').filter(Boolean).join(eol);

function ok(r: ParseOrderResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.order;
}
function failed(r: ParseOrderResult) {
  if (r.ok) throw new Error('expected a failure');
  return r;
}

describe('parseOrder: real-world shapes', () => {
  it('v2.3 ORM^O01 with specimens as OBR segments (OBR-44 procedure code, OBR-27 units, OBR-7 collection)', () => {
    const o = ok(parseOrder(fixture('orm-o01-v2.3-obr-specimens.hl7')));
    expect(o).toMatchObject({ messageControlId: 'CP000101', messageType: 'ORM^O01', version: '2.3', accessionNumber: 'S26-000101', orderControl: 'NW' });
    expect(o.case).toEqual({
      patientId: 'MRN100234',
      payer: { payerId: 'BCBS01', name: 'BLUE CROSS BLUE SHIELD', plan: 'Gold PPO' },
      collectionDate: '2026-03-14',
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
    const o = ok(parseOrder(fixture('oml-o21-v2.5.1-spm.hl7')));
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
    const o = ok(parseOrder(fixture('orm-o01-v2.4-zsegments.hl7')));
    expect(o.orderControl).toBe('XO');
    expect(o.case.specimens.map((s) => [s.specimenId, s.primaryCpt, s.units])).toEqual([
      ['A', '88312', 2],
      ['B', '88342', 1],
    ]);
    expect(o.warnings.map((w) => `${w.segment}:${w.severity}`)).toEqual(['ZPI:I', 'ZDS:I', 'ZBX:I']);
  });

  it('missing optional IN1 and DG1: self-pay with a warning', () => {
    const o = ok(parseOrder(fixture('orm-o01-v2.5-no-insurance.hl7')));
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
    const text = fixture('orm-o01-cancel.hl7').replace('|88305', '||88305');
    expect(failed(parseOrder(text)).errors[0]).toMatchObject({ segment: 'OBR', field: 44, code: '101' });
    const mapping = { ...DEFAULT_ORDER_MAPPING, procedureCode: [{ segment: 'OBR', field: 45, component: 1 }] };
    expect(ok(parseOrder(text, mapping)).case.specimens[0]?.primaryCpt).toBe('88305');
  });
});

describe('parseOrder: never crashes', () => {
  const names = ['orm-o01-v2.3-obr-specimens.hl7', 'oml-o21-v2.5.1-spm.hl7', 'orm-o01-v2.4-zsegments.hl7', 'orm-o01-missing-accession.hl7'];
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
        if (r.ok) expect(CaseDetails.safeParse(r.order.case).success).toBe(true);
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
