import { chargeIdFor, chargePostedEventIdFor, uuidV5 } from './charge-id';

describe('uuidV5', () => {
  it.each([
    // Reference values from Python's uuid.uuid5.
    ['python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '886313e1-3b8a-5372-9b90-0c9aee199e5d'],
    ['slidecharge:charge:S1/A/0753T', '6ba7b811-9dad-11d1-80b4-00c04fd430c8', '96987b80-f0d6-538d-be2d-c247d8d39eb6'],
  ])('uuid5(%s) in %s = %s', (name, namespace, expected) => {
    expect(uuidV5(name, namespace)).toBe(expected);
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow('not a UUID');
  });
});

describe('chargeIdFor', () => {
  it('is the version-5 UUID of slidecharge:charge:<chargeKey>, stable across calls', () => {
    expect(chargeIdFor('S1/A/0753T')).toBe('96987b80-f0d6-538d-be2d-c247d8d39eb6');
    expect(chargeIdFor('S1/A/0753T')).toBe(chargeIdFor('S1/A/0753T'));
  });

  it('differs by accession, specimen and code', () => {
    const ids = new Set(['S1/A/0753T', 'S2/A/0753T', 'S1/B/0753T', 'S1/A/0754T'].map(chargeIdFor));
    expect(ids.size).toBe(4);
  });

  it('derives a distinct, stable charge.posted event id', () => {
    const chargeId = chargeIdFor('S1/A/0753T');
    expect(chargePostedEventIdFor(chargeId)).toBe(chargePostedEventIdFor(chargeId));
    expect(chargePostedEventIdFor(chargeId)).not.toBe(chargeId);
    expect(chargePostedEventIdFor(chargeId)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
