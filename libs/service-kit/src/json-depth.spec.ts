import fc from 'fast-check';
import { findUnsafeText } from '@slidecharge/contracts';
import { jsonNestingTooDeep } from './json-depth';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('jsonNestingTooDeep', () => {
  it('finds the bracket that goes one level past the limit, in a body nested 5,000 deep, without recursion', () => {
    const deep = `{"policySet":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(jsonNestingTooDeep(bytes(deep), 32)).toEqual({ maxDepth: 32, offset: 13 + 31 });
  });

  it('accepts exactly maxDepth levels of objects and arrays', () => {
    expect(jsonNestingTooDeep(bytes('{"a":[{"b":[]}]}'), 4)).toBeUndefined();
    expect(jsonNestingTooDeep(bytes('{"a":[{"b":[[]]}]}'), 4)).toEqual({ maxDepth: 4, offset: 12 });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingTooDeep(bytes(`{"note":"${'[{'.repeat(100)}","q":"say \\"[[[\\" ok","r":"\\\\"}`), 2)).toBeUndefined();
    expect(jsonNestingTooDeep(bytes('{"a":"\\\\",  "b":[[1]]}'), 2)).toEqual({ maxDepth: 2, offset: 17 });
  });

  it('reads multi-byte UTF-8 text without mistaking its bytes for brackets', () => {
    expect(jsonNestingTooDeep(bytes('{"name":"Ünïcødé 🧫 [","x":[1]}'), 2)).toBeUndefined();
  });

  it('agrees with findUnsafeText on the depth of any parsed JSON value (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
        const refusedByBytes = jsonNestingTooDeep(bytes(JSON.stringify(value)), maxDepth) !== undefined;
        const refusedParsed = findUnsafeText(value, { maxDepth })?.message.startsWith('is nested deeper') ?? false;
        return refusedByBytes === refusedParsed;
      }),
    );
  });
});
