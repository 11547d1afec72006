import {
  AddOnCodeRow,
  DIGITIZATION_ADD_ON_CODES,
  findAddOnCode,
  validateAddOnCodeTable,
} from './add-on-codes';

const row = (over: Partial<AddOnCodeRow> = {}): AddOnCodeRow => ({
  addOnCode: '0753T',
  primaryCode: '88305',
  effectiveFrom: '2023-01-01',
  confirmed: true,
  source: 'CAP 2023',
  ...over,
});

describe('DIGITIZATION_ADD_ON_CODES', () => {
  it.each([
    ['0751T', '88302'],
    ['0752T', '88304'],
    ['0753T', '88305'],
    ['0754T', '88307'],
    ['0755T', '88309'],
    ['0756T', '88312'],
    ['0757T', '88313'],
    ['0758T', '88314'],
    ['0759T', '88319'],
    ['0760T', '88342'],
    ['0761T', '88341'],
    ['0762T', '88344'],
    ['0763T', '88360'],
  ])('pairs %s with %s from 2023-01-01, open-ended', (addOnCode, primaryCode) => {
    const rows = DIGITIZATION_ADD_ON_CODES.filter((r) => r.addOnCode === addOnCode);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ primaryCode, effectiveFrom: '2023-01-01' });
    expect(rows[0].effectiveTo).toBeUndefined();
  });

  it('holds exactly the 13 codes 0751T-0763T', () => {
    expect(DIGITIZATION_ADD_ON_CODES.map((r) => r.addOnCode)).toEqual(
      Array.from({ length: 13 }, (_, i) => `07${51 + i}T`),
    );
  });

  it('marks only the 0758T <-> 88314 pairing unconfirmed', () => {
    expect(DIGITIZATION_ADD_ON_CODES.filter((r) => !r.confirmed).map((r) => r.addOnCode)).toEqual(['0758T']);
    expect(DIGITIZATION_ADD_ON_CODES.every((r) => r.source.length > 0)).toBe(true);
  });

  it('passes its own validation', () => {
    expect(validateAddOnCodeTable(DIGITIZATION_ADD_ON_CODES)).toEqual([]);
  });
});

describe('findAddOnCode', () => {
  it.each([
    ['88305', '2026-03-02', '0753T'],
    ['88307', '2026-03-02', '0754T'],
    ['88342', '2026-03-02', '0760T'],
    ['88314', '2026-03-02', '0758T'],
    ['88305', '2023-01-01', '0753T'],
    ['88305', '2022-12-31', undefined],
    ['88300', '2026-03-02', undefined],
    ['88305', '2026-02-30', undefined],
    ['88305', '2026-03-02T10:00:00Z', undefined],
  ])('%s on %s -> %s', (primary, date, expected) => {
    expect(findAddOnCode(DIGITIZATION_ADD_ON_CODES, primary, date)?.addOnCode).toBe(expected);
  });

  const sunset = [row({ effectiveTo: '2028-12-31' })];
  it.each([
    ['2028-12-31', '0753T'],
    ['2029-01-01', undefined],
  ])('honours an inclusive effectiveTo: %s -> %s', (date, expected) => {
    expect(findAddOnCode(sunset, '88305', date)?.addOnCode).toBe(expected);
  });

  it('picks the row in force when a pairing is replaced over time', () => {
    const table = [
      row({ effectiveTo: '2027-12-31' }),
      row({ addOnCode: '0999T', effectiveFrom: '2028-01-01' }),
    ];
    expect(findAddOnCode(table, '88305', '2027-12-31')?.addOnCode).toBe('0753T');
    expect(findAddOnCode(table, '88305', '2028-01-01')?.addOnCode).toBe('0999T');
  });
});

describe('validateAddOnCodeTable', () => {
  it.each<[string, AddOnCodeRow[], string[]]>([
    ['a good row', [row()], []],
    ['a duplicate pairing, both open-ended', [row(), row()], ['duplicate-pairing']],
    [
      'a duplicate pairing overlapping in time',
      [row({ effectiveTo: '2024-06-30' }), row({ effectiveFrom: '2024-06-30' })],
      ['duplicate-pairing'],
    ],
    [
      'the same pairing in consecutive periods',
      [row({ effectiveTo: '2024-06-29' }), row({ effectiveFrom: '2024-06-30' })],
      [],
    ],
    ['a primary code with two add-ons at once', [row(), row({ addOnCode: '0754T' })], ['primary-code-has-two-add-ons']],
    ['an add-on code with two primaries at once', [row(), row({ primaryCode: '88307' })], ['add-on-code-has-two-primaries']],
    ['a bad add-on code', [row({ addOnCode: '753T' })], ['bad-add-on-code']],
    ['an add-on code without T', [row({ addOnCode: '07530' })], ['bad-add-on-code']],
    ['a bad primary code', [row({ primaryCode: '8830A' })], ['bad-primary-code']],
    ['a bad effectiveFrom', [row({ effectiveFrom: '2023-13-01' })], ['bad-date']],
    ['a bad effectiveTo', [row({ effectiveTo: '31/12/2028' })], ['bad-date']],
    [
      'effectiveTo before effectiveFrom',
      [row({ effectiveFrom: '2023-01-01', effectiveTo: '2022-12-31' })],
      ['effective-to-before-effective-from'],
    ],
    ['a one-day row', [row({ effectiveFrom: '2023-01-01', effectiveTo: '2023-01-01' })], []],
    ['no source', [row({ source: ' ' })], ['missing-source']],
  ])('%s', (_label, rows, kinds) => {
    expect(validateAddOnCodeTable(rows).map((p) => p.kind)).toEqual(kinds);
  });

  it('names the rows and the pairing in a duplicate problem', () => {
    const problems = validateAddOnCodeTable([...DIGITIZATION_ADD_ON_CODES, row()]);
    expect(problems).toHaveLength(1);
    expect(problems[0].rows).toEqual([2, 13]);
    expect(problems[0].message).toContain('88305 -> 0753T');
  });
});
