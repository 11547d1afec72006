import fc from 'fast-check';
import { findUnsafeText, unsafeCharacterIn } from './safe-text';

describe('unsafeCharacterIn', () => {
  it('names NUL, other C0 controls, DEL and unpaired surrogates with their index', () => {
    expect(unsafeCharacterIn('MRN\u00001')).toBe('U+0000 (NUL) at index 3');
    expect(unsafeCharacterIn('a\u000bb')).toBe('U+000B (control character) at index 1');
    expect(unsafeCharacterIn('a\u001cb')).toBe('U+001C (control character) at index 1');
    expect(unsafeCharacterIn('x\u007f')).toBe('U+007F (control character) at index 1');
    expect(unsafeCharacterIn('\ud800')).toBe('U+D800 (unpaired surrogate) at index 0');
    expect(unsafeCharacterIn('ab\udc00')).toBe('U+DC00 (unpaired surrogate) at index 2');
  });

  it('accepts TAB, LF, CR (unless told not to), accents and characters outside the BMP', () => {
    expect(unsafeCharacterIn('line 1\r\n\tline 2 Ünïcødé 🧫')).toBeUndefined();
    expect(unsafeCharacterIn('a\tb', false)).toBe('U+0009 (control character) at index 1');
  });

  it('finds nothing in any string of well-formed printable characters (fast-check)', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ 019-_.:/éß€🧫'.split(/(?:)/u)) });
    fc.assert(fc.property(printable, (s) => unsafeCharacterIn(s) === undefined));
  });
});

describe('findUnsafeText', () => {
  it('gives the path of the first bad value or key', () => {
    expect(findUnsafeText({ patientId: 'MRN\u0000', payer: { payerId: 'A' } })).toEqual({ path: 'patientId', message: 'contains U+0000 (NUL) at index 3' });
    expect(findUnsafeText({ specimens: [{ id: 'A' }, { id: 'B\ud800' }] })).toEqual({ path: 'specimens.1.id', message: 'contains U+D800 (unpaired surrogate) at index 1' });
    expect(findUnsafeText({ 'bad\u0001key': 1 })?.message).toBe('has a key that contains U+0001 (control character) at index 3');
    expect(findUnsafeText('\u0000')?.path).toBe('(root)');
  });

  it('refuses nesting deeper than the limit without recursion, at any depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeText(deep)).toEqual({ path: expect.stringMatching(/^0(\.0){31}$/), message: 'is nested deeper than 32 levels' });
    expect(findUnsafeText({ a: { b: { c: 1 } } }, { maxDepth: 2 })).toEqual({ path: 'a.b', message: 'is nested deeper than 2 levels' });
    expect(findUnsafeText({ a: { b: 1 } }, { maxDepth: 2 })).toBeUndefined();
  });

  it('finds a problem exactly where unsafeCharacterIn finds one, in values and in keys (fast-check)', () => {
    const tricky = fc.string({ unit: fc.constantFrom('a', 'é', ' ', '\t', '\n', '\r', '\u0000', '\u000b', '\u001f', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff', '🧫'), maxLength: 8 });
    fc.assert(
      fc.property(tricky, fc.boolean(), (s, lineBreaks) => {
        const inValue = findUnsafeText({ list: [1, { text: s }] }, { allowLineBreaks: lineBreaks });
        const expected = unsafeCharacterIn(s, lineBreaks);
        expect(inValue).toEqual(expected === undefined ? undefined : { path: 'list.1.text', message: `contains ${expected}` });
        expect(findUnsafeText({ [s]: 1 }) === undefined).toBe(unsafeCharacterIn(s, false) === undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts ordinary documents', () => {
    expect(findUnsafeText({ a: [1, true, null, 'x\ny', { b: 'é' }], c: 2.5 })).toBeUndefined();
  });
});
