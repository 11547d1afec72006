import { chargeIdFor, chargePostedEventIdFor } from './charge-id';

describe('chargeIdFor', () => {
  it('is the version-5 UUID of slidecharge:charge:<chargeKey>, stable across calls', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_URL, 'slidecharge:charge:S1/A/0753T')
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
