import { Hl7Message } from '@medplum/core';
import { readValue } from './encoding';
import { readOrderControls, readOrderingProvider, readAccession } from './order-common';
import { checkOrderHeader, readOrderHeader } from './order-header';
import { DEFAULT_ORDER_MAPPING, type OrderMapping } from './order-mapping';
import { readDemographics, readPatientId } from './order-patient';
import { indexSegments, newFindings } from './order-reading';
import { readSlides } from './order-slides';
import { readSpecimens } from './order-specimen';
import { readStructure } from './order-structure';
import { unitsValue } from './order-observation';
import { parseOrder } from './order';

const m = DEFAULT_ORDER_MAPPING;
function only<T>(list: T[], i = 0): T {
  const x = list[i];
  if (x === undefined) throw new Error(`no item ${i}`);
  return x;
}
const segmentsOf = (...lines: string[]) => indexSegments(Hl7Message.parse(lines.join('\r')));
/** A segment from its fields by position: seg('OBR', { 1: '1', 27: '2' }). */
const seg = (name: string, fields: Record<number, string>) => {
  const last = Math.max(...Object.keys(fields).map(Number));
  return [name, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? '')].join('|');
};
const MSH = (extra = '') => `MSH|^~\\&|LIS|LAB|SC|PATH|20261120||OML^O21^OML_O21|C1|P|2.5.1${extra}`;

describe('order-header: MSH checks', () => {
  it('an MSH-18 outside table 0211 (and the usual aliases) is AR 103 at MSH-18; 8859/1 and UNICODE UTF-8 pass', () => {
    const check = (msh18: string) => {
      const s = segmentsOf(MSH(`||||||${msh18}`));
      const msh = only(s.all('MSH'));
      return checkOrderHeader(msh, readOrderHeader(msh), m);
    };
    expect(check('8859/1')).toEqual([]);
    expect(check('UNICODE UTF-8')).toEqual([]);
    expect(check('')).toEqual([]);
    expect(check('EBCDIC')).toEqual([expect.objectContaining({ segment: 'MSH', field: 18, code: '103' })]);
  });
});

describe('order-patient: PID', () => {
  it('reads PID-3 (MR repetition) with its assigning authority, the legal PID-5 name, PID-7 and PID-8', () => {
    const s = segmentsOf(MSH(), 'PID|1||123^^^SSA^SS~E77^^^UNIV&1.2.3&ISO^MR||ALIAS^AL^^^^^A~MÜLLER^ANNA^^^^^L||19690214|f');
    const pid = only(s.all('PID'));
    const id = readPatientId(pid, m);
    expect(id).toMatchObject({ value: 'E77', repetition: 1 });
    const { patient, locs } = readDemographics(pid, id.repetition);
    expect(patient).toEqual({ familyName: 'MÜLLER', givenName: 'ANNA', birthDate: '1969-02-14', administrativeSex: 'F', identifierAuthority: 'UNIV' });
    expect(Object.fromEntries(locs)['patient.familyName']).toMatchObject({ segment: 'PID', field: 5, repetition: 2 });
  });

  it('an unreadable birth date is kept as sent so the contract refuses it at PID-7', () => {
    const text = [MSH(), 'PID|1||E1^^^^MR||DOE^JO||1969-99-99', 'ORC|NW||S26-1', 'OBR|1||S26-1|88305^^C4|||20261119', 'SPM|1|A'].join('\r');
    const r = parseOrder(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual(expect.objectContaining({ segment: 'PID', field: 7, code: '102' }));
  });
});

describe('order-common: ORC', () => {
  it('ORC-12 XCN: a 10-digit id is the NPI; the provider keeps id and name', () => {
    const s = segmentsOf(MSH(), seg('ORC', { 1: 'NW', 2: 'P1', 3: 'S26-1', 12: '1234567893^WELBY^MARCUS^^^^MD^^^^^^NPI' }));
    const f = newFindings();
    expect(readOrderingProvider(s.all('ORC')[0], undefined, f)).toEqual({ orderingProvider: '1234567893 WELBY, MARCUS', orderingProviderNpi: '1234567893' });
    const other = segmentsOf(MSH(), seg('ORC', { 1: 'NW', 2: 'P1', 3: 'S26-1', 12: '1234567893^WELBY^^^^^^^^^^^DN' }));
    expect(readOrderingProvider(other.all('ORC')[0], undefined, newFindings())).toEqual({ orderingProvider: '1234567893 WELBY' });
  });

  it('order controls: XO accepted, SC refused with 201, unknown 103; the accession from ORC-3', () => {
    const s = segmentsOf(MSH(), 'ORC|XO||S26-1', 'ORC|ZZ||S26-1', 'OBR|1||S26-1');
    const f = newFindings();
    expect(readOrderControls(s.all('ORC'), m, f)).toEqual({ ok: true, controls: ['XO', 'ZZ'] });
    expect(f.errors).toEqual([expect.objectContaining({ segment: 'ORC', sequence: 2, field: 1, code: '103' })]);
    expect(readOrderControls(segmentsOf(MSH(), 'ORC|SC').all('ORC'), m, newFindings())).toMatchObject({ ok: false, refusal: { code: '201' } });
    expect(readAccession(s.all('ORC'), s.all('OBR'), newFindings())).toBe('S26-1');
  });
});

describe('order-observation and order-specimen: units, specimen ids', () => {
  it('units: TQ1-2 of the ORC group first, then OBR-27, then 1', () => {
    const s = segmentsOf(
      MSH(),
      'ORC|NW||S26-1', 'TQ1|1|3^SL', seg('OBR', { 1: '1', 3: 'S26-1', 4: '88305^^C4', 27: '2' }), 'SPM|1|A',
      'ORC|NW||S26-1', seg('OBR', { 1: '2', 3: 'S26-1', 4: '88307^^C4', 27: '2' }), 'SPM|2|B',
      'ORC|NW||S26-1', 'OBR|3||S26-1|88307^^C4', 'SPM|3|C',
    );
    const r = readSpecimens(readStructure(s, m), () => undefined, m, newFindings());
    expect(r.specimens.map((x) => [x['specimenId'], x['units']])).toEqual([['A', 3], ['B', 2], ['C', 1]]);
    expect(unitsValue('2.0')).toBe(2);
    expect(unitsValue('two')).toBeNaN();
  });

  it('one ORM per specimen: OBR-20 names the specimen (OBR-1 is 1 in each); cancelled specimens are listed apart', () => {
    const s = segmentsOf(MSH(), 'ORC|CA||S26-1', seg('OBR', { 1: '1', 3: 'S26-1', 4: '88305^^C4', 20: 'C' }));
    const r = readSpecimens(readStructure(s, m), () => 1, m, newFindings());
    expect(r).toMatchObject({ specimens: [], cancelledSpecimenIds: ['C'] });
  });
});

describe('order-slides: SAC, slide SPMs, a mapped field', () => {
  const read = (mapping: OrderMapping, ...lines: string[]) => {
    const s = segmentsOf(MSH(), ...lines);
    const f = newFindings();
    const structure = readStructure(s, mapping);
    const specimens = readSpecimens(structure, () => undefined, mapping, f);
    return { slides: readSlides(structure, s.all(mapping.slideSegment), specimens, mapping, f), specimens: specimens.specimens.map((x) => x['specimenId']), f };
  };

  it('an SPM whose SPM-27 is a slide is a slide of the specimen SPM before it (SPM-2 barcode, SPM-3 block); a block SPM is skipped', () => {
    const { slides, specimens } = read(
      m,
      'ORC|NW||S26-1', 'OBR|1||S26-1|88305^^C4',
      'SPM|1|A||TISS',
      seg('SPM', { 1: '2', 2: 'A1', 3: 'A', 4: 'TISS', 27: 'BLOCK' }),
      seg('SPM', { 1: '3', 2: 'S26-1-A1-1', 3: 'A1', 4: 'TISS', 27: 'SLIDE' }),
      seg('SPM', { 1: '4', 2: 'S26-1-A-2', 3: 'A', 4: 'TISS', 27: 'SLIDE' }),
    );
    expect(specimens).toEqual(['A']);
    expect(slides).toEqual([
      { barcode: 'S26-1-A1-1', specimenId: 'A', block: 'A1' },
      { barcode: 'S26-1-A-2', specimenId: 'A' },
    ]);
  });

  it('v2.3 without SAC: a configured field of the OBR gives the slides (every repetition)', () => {
    const mapping = { ...m, specimenSlideBarcodes: [{ segment: 'OBR', field: 21 }] };
    const { slides } = read(mapping, 'ORC|NW||S26-1', seg('OBR', { 1: '1', 3: 'S26-1', 4: '88305^^C4', 21: 'S26-1-A1~S26-1-A2' }));
    expect(slides).toEqual([
      { barcode: 'S26-1-A1', specimenId: 'A' },
      { barcode: 'S26-1-A2', specimenId: 'A' },
    ]);
  });

  it('a SAC before any specimen is 100 at the SAC', () => {
    const { f } = read(m, 'ORC|NW||S26-1', 'SAC|||X-1', 'OBR|1||S26-1|88305^^C4');
    expect(f.errors).toEqual([expect.objectContaining({ segment: 'SAC', sequence: 1, code: '100' })]);
  });
});

describe('order-structure', () => {
  it('governs each OBR by the ORC before it and each ORC group by its first TQ1', () => {
    const s = segmentsOf(MSH(), 'ORC|NW', 'TQ1|1|2', 'OBR|1', 'ORC|NW', 'OBR|2');
    const st = readStructure(s, m);
    const [orc1, orc2] = s.all('ORC');
    const [obr1, obr2] = s.all('OBR');
    expect(st.orcOf.get(only([obr1]))).toBe(orc1);
    expect(st.orcOf.get(only([obr2]))).toBe(orc2);
    expect(readValue(st.timingOf.get(orc1)?.seg, 2)).toBe('2');
    expect(st.timingOf.get(orc2)).toBeUndefined();
  });
});
