import { parseMessage } from './encoding';
import { checkFieldLimits, checkMessageFields, DEFAULT_FIELD_LIMITS, fieldMaxLength } from './field-limits';
import { parseOrder, type ParseOrderResult } from './order';

/** A valid ORM^O01 (OBR-44 procedure code, one SAC slide); tests replace one field at a time. */
const MSH = 'MSH|^~\\&|LIS|LAB|SLIDECHARGE|PATH|20260701080000||ORM^O01|C-1|P|2.5.1';
const OBR = ['OBR', '1', 'PL-1', 'S26-1', '88305^^C4', '', '', '20260701', ...Array<string>(36).fill(''), '88305^^C4'].join('|');
const order = (over: { msh?: string; pid?: string; orc?: string; sac?: string; spm?: string } = {}) =>
  [over.msh ?? MSH, over.pid ?? 'PID|1||MRN-1^^^^MR', 'IN1|1||AETNA|Aetna', over.orc ?? 'ORC|NW|PL-1|S26-1', OBR, over.sac ?? 'SAC|||S26-1-A1-1|A1'].join('\r');

function refused(r: ParseOrderResult) {
  if (r.ok) throw new Error('expected a refusal');
  return r;
}
const where = (r: ParseOrderResult) => refused(r).errors.map((e) => [e.segment, e.sequence, e.field, e.repetition, e.component, e.code].join(':'));

describe('the exact inputs of the security review: no field over its length, no control character', () => {
  const long = 'X'.repeat(3000);

  it('an MSH-10 of 3000 characters: AR 102 at MSH^1^10, no MSA-2 echo of it, the value never quoted', () => {
    const r = refused(parseOrder(order({ msh: MSH.replace('|C-1|', `|${long}|`) })));
    expect(r.ackCode).toBe('AR');
    expect(r.messageControlId).toBeUndefined();
    expect(r.errors).toEqual([{ segment: 'MSH', sequence: 1, field: 10, code: '102', message: 'MSH-10 is 3000 characters long; at most 199 are accepted' }]);
  });

  it('MSH-3 and MSH-4 of 3000 characters (the sender, part of the idempotency key): AR at each', () => {
    const r = refused(parseOrder(order({ msh: MSH.replace('|LIS|LAB|', `|${long}|${long}|`) })));
    expect(r.ackCode).toBe('AR');
    expect(where(r)).toEqual(['MSH:1:3:::102', 'MSH:1:4:::102']);
    expect(r.messageControlId).toBe('C-1');
  });

  it('a PID-3 of 3000 characters: AE 102 at PID^1^3 (content, not the header), MSH-10 acknowledged', () => {
    const r = refused(parseOrder(order({ pid: `PID|1||${long}^^^^MR` })));
    expect(r).toMatchObject({ ackCode: 'AE', messageControlId: 'C-1' });
    expect(r.errors).toEqual([{ segment: 'PID', sequence: 1, field: 3, code: '102', message: 'PID-3 is 3006 characters long; at most 250 are accepted' }]);
  });

  it('ORC-3 (the accession) of 3000 characters and a SAC-3 barcode of 100: AE at each', () => {
    const r = refused(parseOrder(order({ orc: `ORC|NW|PL-1|${long}`, sac: `SAC|||${'B'.repeat(100)}|A1` })));
    expect(r.ackCode).toBe('AE');
    expect(where(r)).toEqual(['ORC:1:3:::102', 'SAC:1:3:::102']);
  });

  it.each([
    ['\\X00\\', 'U+0000 (NUL)'],
    ['\\X0B\\', 'U+000B (control character)'],
    ['\\X1C\\', 'U+001C (control character)'],
    ['\\X7F\\', 'U+007F (control character)'],
    ['\\X09\\', 'U+0009 (control character)'],
    ['\\.br\\', 'U+000A (control character)'],
  ])('%s inside PID-3 after unescaping: AE 102 at PID^1^3 component 1', (escape, what) => {
    const r = refused(parseOrder(order({ pid: `PID|1||MRN${escape}1^^^^MR` })));
    expect(r.ackCode).toBe('AE');
    expect(r.errors).toEqual([
      { segment: 'PID', sequence: 1, field: 3, component: 1, code: '102', message: `PID-3.1 contains ${what} (escape sequences decoded): control characters are not accepted in this field` },
    ]);
  });

  it('a raw control byte (0x1C, 0x01) in a field is refused the same way', () => {
    expect(where(parseOrder(order({ sac: 'SAC|||S26-1\x1cA1-1|A1' })))).toEqual(['SAC:1:3::1:102']);
    expect(where(parseOrder(order({ orc: 'ORC|NW|PL-1|S26\x01-1' })))).toEqual(['ORC:1:3::1:102']);
  });

  it('\\X00\\ in MSH-10: AR at MSH^1^10', () => {
    const r = refused(parseOrder(order({ msh: MSH.replace('|C-1|', '|C\\X00\\1|') })));
    expect(r.ackCode).toBe('AR');
    expect(where(r)).toEqual(['MSH:1:10::1:102']);
    expect(r.messageControlId).toBeUndefined();
  });

  it('a repeated field names the repetition', () => {
    expect(where(parseOrder(order({ pid: 'PID|1||MRN-1^^^^MR~MRN\\X00\\2^^^^PI' })))).toEqual(['PID:1:3:2:1:102']);
  });
});

describe('what stays accepted', () => {
  it('line breaks and TAB in free text (SPM-14, ORC-16), a long field the intake does not read', () => {
    const text = [
      MSH.replace('ORM^O01', 'OML^O21'),
      'PID|1||MRN-1^^^^MR|||||||' + 'Main Street '.repeat(100),
      'ORC|NW|PL-1|S26-1|||||||||||||^wrong\\.br\\patient\\X09\\x',
      OBR,
      'SPM|1|A||TISS||||||||||Left\\.br\\breast\\X09\\core|||20260701',
    ].join('\r');
    expect(checkMessageFields(text)).toEqual([]);
    expect(parseOrder(text).ok).toBe(true);
  });

  it('fields exactly at their limit', () => {
    expect(checkMessageFields(order({ msh: MSH.replace('|C-1|', `|${'C'.repeat(199)}|`) }))).toEqual([]);
  });

  it('a text that is no HL7 message has no field errors (the parser answers it)', () => {
    expect(checkMessageFields('hello')).toEqual([]);
  });
});

describe('limits of fields the intake does not read, and many errors', () => {
  it('any other field over 65536 characters, or with NUL, 0x0B or 0x1C, is refused too (AE at that field)', () => {
    expect(where(parseOrder(order({ pid: `PID|1||MRN-1^^^^MR||${'N'.repeat(65_537)}` })))).toEqual(['PID:1:5:::102']);
    expect(where(parseOrder(order({ pid: 'PID|1||MRN-1^^^^MR||Doe^Jane\\X00\\' })))).toEqual(['PID:1:5::2:102']);
  });

  it(`at most ${DEFAULT_FIELD_LIMITS.maxErrors} ERR segments, then one that counts the rest`, () => {
    const pid = `PID|1||MRN-1^^^^MR|${Array.from({ length: 30 }, () => 'a\\X00\\').join('|')}`;
    const parsed = parseMessage(order({ pid }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const errors = checkFieldLimits(parsed.message);
    expect(errors).toHaveLength(DEFAULT_FIELD_LIMITS.maxErrors + 1);
    expect(errors.at(-1)).toEqual({ segment: 'MSH', sequence: 1, field: 0, code: '102', message: '10 more fields are over their length or hold control characters' });
  });

  it('fieldMaxLength: the specific limit, else the general one', () => {
    expect(fieldMaxLength('MSH', 10)).toBe(199);
    expect(fieldMaxLength('SAC', 3)).toBe(80);
    expect(fieldMaxLength('NTE', 3)).toBe(65_536);
  });
});
