import fc from 'fast-check';
import { CaseDetails } from '@slidecharge/contracts';
import { buildOrderMessage } from './order-builder';
import { parseOrder } from './order';

const at = new Date('2026-07-01T08:00:00Z');

/** Text the order fields may hold: printable, trimmed, with HL7 delimiters and escape characters in it. */
const text = (max: number) =>
  fc
    .string({ unit: fc.constantFrom(...'abcXYZ09 |^~\\&#-.,/'.split('')), minLength: 1, maxLength: max })
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
const icd10 = fc.tuple(fc.constantFrom('C', 'K', 'D', 'R', 'Z'), fc.integer({ min: 10, max: 99 }), fc.constantFrom('', '.1', '.91', '.911')).map(([a, b, c]) => `${a}${b}${c}`);
const cpt = fc.constantFrom('88305', '88307', '88309', '88312', '88342', '0753T');
const modifier = fc.constantFrom('59', 'Q1', 'GA', '26', 'TC', '52');

/** A case in the shape the order mapping carries (no flags, pointers or stains: HL7 orders do not carry them here). */
function caseArb(letterIds: boolean) {
  return fc.integer({ min: 1, max: 5 }).chain((n) =>
    fc
      .record({
        patientId: text(20),
        payer: fc.record({ payerId: text(12), name: fc.option(text(30), { nil: undefined }), plan: fc.option(text(20), { nil: undefined }) }),
        collectionDate: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        orderingProvider: fc.option(text(40), { nil: undefined }),
        diagnoses: fc.uniqueArray(icd10, { maxLength: 4 }),
        specimens: fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            fc.record({
              specimenId: letterIds ? fc.constant(String.fromCharCode(65 + i)) : fc.constant(`S${i + 1}`),
              description: fc.option(text(40), { nil: undefined }),
              primaryCpt: cpt,
              units: fc.integer({ min: 1, max: 9 }),
              modifiers: fc.option(fc.uniqueArray(modifier, { minLength: 1, maxLength: 3 }), { nil: undefined }),
            }),
          ),
        ),
        slideCounts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
        block: fc.option(fc.constantFrom('A1', 'B2', 'C10'), { nil: undefined }),
      })
      .map(({ slideCounts, block, ...c }) => {
        const slides = c.specimens.flatMap((s, i) =>
          Array.from({ length: slideCounts[i] ?? 0 }, (_, j) => ({ barcode: `BC-${s.specimenId}-${j + 1}`, specimenId: s.specimenId, ...(block ? { block } : {}) })),
        );
        return CaseDetails.parse(strip({ ...c, slides }));
      }),
  );
}

/** Drops undefined keys, as the parser leaves absent values out. */
function strip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('buildOrderMessage <-> parseOrder round trip', () => {
  it.each([['ORM^O01' as const, true], ['OML^O21' as const, false]])('property: %s built from a case parses back to the same case', (structure, letterIds) => {
    fc.assert(
      fc.property(caseArb(letterIds), fc.constantFrom('NW', 'XO'), (c, orderControl) => {
        const message = buildOrderMessage({ controlId: 'C-1', accessionNumber: 'S26-000777', orderControl, structure, case: c, timestamp: at });
        const r = parseOrder(message);
        if (!r.ok) throw new Error(`${JSON.stringify(r.errors)}\n${message.replace(/\r/g, '\n')}`);
        expect(r.order).toMatchObject({ action: 'upsert', accessionNumber: 'S26-000777', orderControl, messageControlId: 'C-1', messageType: structure });
        expect(r.order.action === 'upsert' && r.order.case).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  it('a cancel is MSH, PID and ORC with ORC-16', () => {
    const message = buildOrderMessage({ controlId: 'C-2', accessionNumber: 'S26-1', orderControl: 'CA', patientId: 'MRN-1', cancelReason: 'ordered twice', timestamp: at });
    expect(message.split('\r')).toEqual([
      'MSH|^~\\&|LIS|LAB|SLIDECHARGE|PATH|20260701080000+0000||ORM^O01^ORM_O01|C-2|P|2.5.1',
      'PID|1||MRN-1^^^^MR',
      'ORC|CA|PL-S26-1|S26-1|||||||||||||^ordered twice',
    ]);
    const r = parseOrder(message);
    expect(r.ok && r.order).toMatchObject({ action: 'cancel', patientId: 'MRN-1', cancelReason: 'cancelled by the LIS (ORC-1 CA, message C-2): ordered twice' });
  });
});

describe('buildOrderMessage: what a v2.5.1 LIS adds', () => {
  it('writes TQ1-2 for units (not OBR-27), PID-5/7/8 and PID-3.4, ORC-12 with the NPI, MSH-15/16/18, OBR-20 part letter', () => {
    const c = CaseDetails.parse({
      patientId: 'MRN-9',
      patient: { familyName: 'MÜLLER', givenName: 'ANNA', birthDate: '1969-02-14', administrativeSex: 'F', identifierAuthority: 'UNIV' },
      payer: { payerId: 'AETNA' },
      collectionDate: '2026-11-20',
      orderingProvider: 'WELBY',
      orderingProviderNpi: '1234567893',
      specimens: [{ specimenId: 'B', primaryCpt: '88305', units: 2 }],
    });
    const message = buildOrderMessage({ controlId: 'C-3', accessionNumber: 'S26-9', case: c, timestamp: at, acceptAcknowledgmentType: 'AL', applicationAcknowledgmentType: 'NE', characterSet: '8859/1' });
    const lines = message.split('\r');
    expect(lines[0]).toMatch(/\|2\.5\.1\|\|\|AL\|NE\|\|8859\/1$/);
    expect(lines.find((l) => l.startsWith('TQ1'))).toBe('TQ1|1|2');
    expect(lines.find((l) => l.startsWith('OBR'))?.split('|')[27] ?? '').toBe('');
    const r = parseOrder(message);
    if (!r.ok || r.order.action !== 'upsert') throw new Error(JSON.stringify(r));
    expect(r.order.case).toMatchObject({ patient: c.patient, orderingProviderNpi: '1234567893', orderingProvider: '1234567893 WELBY', specimens: [{ specimenId: 'B', units: 2 }] });
  });
});
