import { calendarDaysBetween, decideDateOfService } from './date-of-service';

describe('date of service (42 CFR 414.510)', () => {
  it('counts calendar days across month ends and leap days', () => {
    expect(calendarDaysBetween('2024-02-01', '2024-03-02')).toBe(30);
    expect(calendarDaysBetween('2025-03-03', '2025-03-03')).toBe(0);
  });

  it('keeps the collection date for a specimen stored 29 or 30 days', () => {
    for (const serviceDate of ['2025-04-01', '2025-04-02']) {
      const out = decideDateOfService({ collectionDate: '2025-03-03', retrievedFromStorageDate: '2025-03-20', serviceDate });
      expect(out).toMatchObject({ kind: 'decided', dateOfService: '2025-03-03', basis: 'collection-date' });
    }
    expect(decideDateOfService({ collectionDate: '2025-03-03', serviceDate: '2025-04-02' })).toMatchObject({ storedDays: 30 });
  });

  it('uses the date obtained from storage for a specimen stored 31 days or more (archived)', () => {
    const out = decideDateOfService({ collectionDate: '2025-03-03', retrievedFromStorageDate: '2025-04-01', serviceDate: '2025-04-03' });
    expect(out).toMatchObject({ kind: 'decided', dateOfService: '2025-04-01', basis: 'retrieved-from-storage', storedDays: 31 });
    expect(out.detail).toContain('414.510(a) and (b)(2)(ii)');
  });

  it('holds an archived specimen whose retrieval date is unknown, with the collection date meanwhile', () => {
    const out = decideDateOfService({ collectionDate: '2025-03-03', serviceDate: '2025-04-03' });
    expect(out).toMatchObject({ kind: 'hold', problem: 'archived-retrieval-date-unknown', dateOfService: '2025-03-03', storedDays: 31 });
    expect(out.detail).toContain('held until the LIS sends');
  });

  it('holds impossible retrieval dates: before collection, or after the archived specimen was digitized', () => {
    expect(decideDateOfService({ collectionDate: '2025-03-03', retrievedFromStorageDate: '2025-03-01', serviceDate: '2025-03-05' })).toMatchObject({
      kind: 'hold',
      problem: 'retrieval-before-collection',
    });
    expect(decideDateOfService({ collectionDate: '2025-03-03', retrievedFromStorageDate: '2025-05-01', serviceDate: '2025-04-10' })).toMatchObject({
      kind: 'hold',
      problem: 'retrieval-after-service',
    });
  });

  it('keeps the collection date while the service date is unknown, and refuses an invalid collection date', () => {
    expect(decideDateOfService({ collectionDate: '2025-03-03', retrievedFromStorageDate: '2025-06-01' })).toMatchObject({ kind: 'decided', dateOfService: '2025-03-03' });
    expect(decideDateOfService({ collectionDate: '2025-02-30', serviceDate: '2025-04-03' })).toMatchObject({ kind: 'invalid', problem: 'invalid-collection-date' });
  });
});
