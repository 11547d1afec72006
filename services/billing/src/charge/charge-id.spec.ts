import { chargeCreditedEventIdFor, chargeIdFor, chargeIdForGeneration, chargePostedEventIdFor, creditIdFor } from './charge-id';

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

describe('re-charges and credits', () => {
  it('keeps generation 1 at the key id and gives later generations their own stable ids', () => {
    expect(chargeIdForGeneration('S1/A/0753T', 1)).toBe(chargeIdFor('S1/A/0753T'));
    // Python: uuid.uuid5(uuid.NAMESPACE_URL, 'slidecharge:charge:S1/A/0753T#2')
    expect(chargeIdForGeneration('S1/A/0753T', 2)).toBe('632c5058-fe61-5303-a659-f6a91fa42c8f');
    expect(chargeIdForGeneration('S1/A/0753T', 3)).not.toBe(chargeIdForGeneration('S1/A/0753T', 2));
  });

  it('derives one credit id per charge and a distinct event id for it', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_URL, 'slidecharge:credit:96987b80-f0d6-538d-be2d-c247d8d39eb6')
    expect(creditIdFor('96987b80-f0d6-538d-be2d-c247d8d39eb6')).toBe('f0d31f15-d416-5213-b0fc-ca6c883a7412');
    const creditId = creditIdFor('96987b80-f0d6-538d-be2d-c247d8d39eb6');
    expect(chargeCreditedEventIdFor(creditId)).not.toBe(creditId);
    expect(chargeCreditedEventIdFor(creditId)).toBe(chargeCreditedEventIdFor(creditId));
  });
});
