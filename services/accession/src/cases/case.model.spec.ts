import { CaseDetails } from '@slidecharge/contracts';
import {
  buildSnapshot,
  canonicalDetails,
  canonicalFlags,
  dateFromDb,
  dateToDb,
  decodeCursor,
  encodeCursor,
  flagColumns,
  ListCasesQuery,
  NewCaseRequest,
  patientColumns,
  sameDetails,
  snapshotFromRows,
} from './case.model';

const details = (over: Partial<CaseDetails> = {}): CaseDetails =>
  CaseDetails.parse({
    patientId: 'MRN-1',
    payer: { payerId: 'MEDICARE', name: 'Medicare Part B' },
    collectionDate: '2026-11-20',
    diagnoses: ['C50.911', 'C61'],
    specimens: [
      { specimenId: 'B', primaryCpt: '88307', units: 1 },
      { specimenId: 'A', primaryCpt: '88305', units: 2, description: 'left breast' },
    ],
    slides: [
      { barcode: 'S-B1-1', specimenId: 'B' },
      { barcode: 'S-A1-2', specimenId: 'A', stain: 'H&E' },
      { barcode: 'S-A1-1', specimenId: 'A', block: 'A1' },
    ],
    ...over,
  });

const noFlags = { researchStudy: false, digitalSignOut: false, abnOnFile: false, physicianOffice: false, reducedService: false };

describe('canonical case details', () => {
  it('orders specimens by id and slides by specimen then barcode, keeping the diagnosis order', () => {
    const c = canonicalDetails(details());
    expect(c.specimens.map((s) => s.specimenId)).toEqual(['A', 'B']);
    expect(c.slides.map((s) => s.barcode)).toEqual(['S-A1-1', 'S-A1-2', 'S-B1-1']);
    expect(c.diagnoses).toEqual(['C50.911', 'C61']);
  });

  it('orders numeric specimen ids numerically', () => {
    const c = canonicalDetails(
      details({
        specimens: [
          { specimenId: '10', primaryCpt: '88305', units: 1 },
          { specimenId: '2', primaryCpt: '88305', units: 1 },
        ],
        slides: [],
      }),
    );
    expect(c.specimens.map((s) => s.specimenId)).toEqual(['2', '10']);
  });

  it('treats empty optional text as absent', () => {
    const c = canonicalDetails(details({ orderingProvider: '', payer: { payerId: 'AETNA', name: '', plan: undefined } }));
    expect(c).not.toHaveProperty('orderingProvider');
    expect(c.payer).toEqual({ payerId: 'AETNA' });
  });

  it('finds a reordered but otherwise equal case the same, and any real difference different', () => {
    const base = details();
    const reordered = details({ specimens: [...base.specimens].reverse(), slides: [...base.slides].reverse() });
    expect(sameDetails(base, reordered)).toBe(true);
    expect(sameDetails(base, details({ collectionDate: '2026-11-21' }))).toBe(false);
    expect(sameDetails(base, details({ diagnoses: ['C61', 'C50.911'] }))).toBe(false);
    expect(sameDetails(base, details({ specimens: base.specimens.map((s) => ({ ...s, primaryCpt: s.specimenId === 'A' ? '88307' : s.primaryCpt })) }))).toBe(false);
    expect(sameDetails(base, details({ slides: base.slides.slice(1) }))).toBe(false);
    expect(sameDetails(base, details({ payer: { payerId: 'MEDICARE', name: 'Medicare Part B', plan: 'B' } }))).toBe(false);
  });
});

describe('case flags, modifiers and diagnosis pointers', () => {
  const withSpecimenA = (over: Record<string, unknown>) =>
    details({
      specimens: [
        { specimenId: 'B', primaryCpt: '88307', units: 1 },
        { specimenId: 'A', primaryCpt: '88305', units: 2, description: 'left breast', ...over },
      ],
    });

  it('keeps only the flags that are set, in the contract order, and drops flags that say nothing', () => {
    expect(canonicalFlags({ reducedService: true, researchStudy: true, abnOnFile: false })).toEqual({ researchStudy: true, reducedService: true });
    expect(Object.keys(canonicalFlags({ reducedService: true, researchStudy: true }) ?? {})).toEqual(['researchStudy', 'reducedService']);
    expect(canonicalFlags({ digitalSignOut: false })).toBeUndefined();
    expect(canonicalFlags({})).toBeUndefined();
    expect(canonicalFlags(undefined)).toBeUndefined();
    expect(canonicalDetails(details({ flags: {} }))).not.toHaveProperty('flags');
    expect(canonicalDetails(details({ flags: { abnOnFile: true } })).flags).toEqual({ abnOnFile: true });
  });

  it('keeps modifiers and pointers in the LIS order and drops empty lists', () => {
    const a = (d: CaseDetails) => d.specimens.find((s) => s.specimenId === 'A');
    expect(a(canonicalDetails(withSpecimenA({ modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] })))).toEqual({
      specimenId: 'A',
      description: 'left breast',
      primaryCpt: '88305',
      units: 2,
      modifiers: ['Q1', '59'],
      diagnosisPointers: [2, 1],
    });
    expect(a(canonicalDetails(withSpecimenA({ modifiers: [] })))).not.toHaveProperty('modifiers');
    expect(a(canonicalDetails(withSpecimenA({ diagnosisPointers: [] })))).not.toHaveProperty('diagnosisPointers');
    const plain = canonicalDetails(details());
    expect(plain).not.toHaveProperty('flags');
    expect(plain.specimens.every((s) => !('modifiers' in s) && !('diagnosisPointers' in s))).toBe(true);
  });

  it('finds a change of flags, modifiers or pointers a change, and flags that say nothing no change', () => {
    const base = details();
    expect(sameDetails(base, details({ flags: {} }))).toBe(true);
    expect(sameDetails(base, details({ flags: { researchStudy: false, abnOnFile: false } }))).toBe(true);
    expect(sameDetails(base, withSpecimenA({ modifiers: [], diagnosisPointers: [] }))).toBe(true);
    expect(sameDetails(base, details({ flags: { digitalSignOut: true } }))).toBe(false);
    expect(sameDetails(details({ flags: { digitalSignOut: true } }), details({ flags: { digitalSignOut: true, abnOnFile: true } }))).toBe(false);
    expect(sameDetails(base, withSpecimenA({ modifiers: ['59'] }))).toBe(false);
    expect(sameDetails(withSpecimenA({ modifiers: ['59', 'Q1'] }), withSpecimenA({ modifiers: ['Q1', '59'] }))).toBe(false);
    expect(sameDetails(base, withSpecimenA({ diagnosisPointers: [1] }))).toBe(false);
    expect(sameDetails(withSpecimenA({ diagnosisPointers: [1, 2] }), withSpecimenA({ diagnosisPointers: [2, 1] }))).toBe(false);
  });
});

describe('snapshots', () => {
  it('builds a snapshot that the contract accepts, without undefined keys', () => {
    const s = buildSnapshot('S26-1', 'cancelled', 3, details(), 'duplicate order');
    expect(s).toMatchObject({ accessionNumber: 'S26-1', status: 'cancelled', version: 3, cancelReason: 'duplicate order' });
    expect(Object.values(s).some((v) => v === undefined)).toBe(false);
    expect(buildSnapshot('S26-1', 'active', 1, details())).not.toHaveProperty('cancelReason');
  });

  it('reads stored rows back into the snapshot that was written', () => {
    const written = buildSnapshot('S26-2', 'active', 2, details({ orderingProvider: 'Dr. Who' }));
    const read = snapshotFromRows({
      accessionNumber: 'S26-2',
      status: 'active',
      version: 2,
      patientId: 'MRN-1',
      ...patientColumns(undefined),
      orderingProviderNpi: null,
      payerId: 'MEDICARE',
      payerName: 'Medicare Part B',
      payerPlan: null,
      collectionDate: dateToDb('2026-11-20'),
      orderingProvider: 'Dr. Who',
      diagnoses: ['C50.911', 'C61'],
      ...noFlags,
      cancelReason: null,
      specimens: [
        {
          specimenId: 'B',
          description: null,
          retrievedFromStorageDate: null,
          primaryCpt: '88307',
          units: 1,
          modifiers: [],
          diagnosisPointers: [],
          slides: [{ barcode: 'S-B1-1', specimenId: 'B', block: null, stain: null }],
        },
        {
          specimenId: 'A',
          description: 'left breast',
          retrievedFromStorageDate: null,
          primaryCpt: '88305',
          units: 2,
          modifiers: [],
          diagnosisPointers: [],
          slides: [
            { barcode: 'S-A1-2', specimenId: 'A', block: null, stain: 'H&E' },
            { barcode: 'S-A1-1', specimenId: 'A', block: 'A1', stain: null },
          ],
        },
      ],
    });
    expect(read).toEqual(written);
    expect(read).not.toHaveProperty('flags');
  });

  it('stores and reads back the patient demographics, the ordering NPI and the storage retrieval date; empty demographics stay absent', () => {
    const sent = details({
      patient: { familyName: 'Doe', givenName: 'Jane', birthDate: '1961-04-02', administrativeSex: 'F', identifierAuthority: 'HOSP-MRN' },
      orderingProviderNpi: '1234567893',
      specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1, retrievedFromStorageDate: '2026-11-25' }],
      slides: [],
    });
    const written = buildSnapshot('S26-4', 'active', 1, sent);
    expect(written.patient).toEqual(sent.patient);
    expect(written.specimens[0]?.retrievedFromStorageDate).toBe('2026-11-25');
    const columns = patientColumns(written.patient);
    expect(columns).toEqual({
      patientFamilyName: 'Doe',
      patientGivenName: 'Jane',
      patientBirthDate: dateToDb('1961-04-02'),
      patientAdministrativeSex: 'F',
      patientIdentifierAuthority: 'HOSP-MRN',
    });
    const read = snapshotFromRows({
      accessionNumber: 'S26-4',
      status: 'active',
      version: 1,
      patientId: 'MRN-1',
      ...columns,
      orderingProviderNpi: '1234567893',
      payerId: 'MEDICARE',
      payerName: 'Medicare Part B',
      payerPlan: null,
      collectionDate: dateToDb('2026-11-20'),
      orderingProvider: null,
      diagnoses: ['C50.911', 'C61'],
      ...noFlags,
      cancelReason: null,
      specimens: [
        { specimenId: 'A', description: null, retrievedFromStorageDate: dateToDb('2026-11-25'), primaryCpt: '88305', units: 1, modifiers: [], diagnosisPointers: [], slides: [] },
      ],
    });
    expect(read).toEqual(written);
    expect(buildSnapshot('S26-5', 'active', 1, details({ patient: {} }))).not.toHaveProperty('patient');
    expect(sameDetails(details({ patient: {} }), details())).toBe(true);
    expect(sameDetails(details({ orderingProviderNpi: '1234567893' }), details())).toBe(false);
  });

  it('reads flag columns, modifiers and pointers back as they were sent; no flag set and empty lists stay absent', () => {
    const sent = details({
      flags: { researchStudy: true, abnOnFile: false },
      specimens: [
        { specimenId: 'A', primaryCpt: '88305', units: 1, modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] },
        { specimenId: 'B', primaryCpt: '88307', units: 1, modifiers: [], diagnosisPointers: [] },
        { specimenId: 'C', primaryCpt: '88305', units: 1 },
      ],
      slides: [],
    });
    const written = buildSnapshot('S26-3', 'active', 1, sent);
    const read = snapshotFromRows({
      accessionNumber: 'S26-3',
      status: 'active',
      version: 1,
      patientId: 'MRN-1',
      ...patientColumns(undefined),
      orderingProviderNpi: null,
      payerId: 'MEDICARE',
      payerName: 'Medicare Part B',
      payerPlan: null,
      collectionDate: dateToDb('2026-11-20'),
      orderingProvider: null,
      diagnoses: ['C50.911', 'C61'],
      ...flagColumns(sent.flags),
      cancelReason: null,
      specimens: [
        { specimenId: 'A', description: null, retrievedFromStorageDate: null, primaryCpt: '88305', units: 1, modifiers: ['Q1', '59'], diagnosisPointers: [2, 1], slides: [] },
        { specimenId: 'B', description: null, retrievedFromStorageDate: null, primaryCpt: '88307', units: 1, modifiers: [], diagnosisPointers: [], slides: [] },
        { specimenId: 'C', description: null, retrievedFromStorageDate: null, primaryCpt: '88305', units: 1, modifiers: [], diagnosisPointers: [], slides: [] },
      ],
    });
    expect(read).toEqual(written);
    expect(read.flags).toEqual({ researchStudy: true });
    expect(read.specimens).toEqual([
      { specimenId: 'A', primaryCpt: '88305', units: 1, modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] },
      { specimenId: 'B', primaryCpt: '88307', units: 1 },
      { specimenId: 'C', primaryCpt: '88305', units: 1 },
    ]);
    expect(flagColumns(undefined)).toEqual(noFlags);
    expect(flagColumns({ digitalSignOut: true, reducedService: false })).toEqual({ ...noFlags, digitalSignOut: true });
  });

  it('keeps the collection date a calendar day', () => {
    expect(dateToDb('2026-02-28').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(dateFromDb(dateToDb('2024-02-29'))).toBe('2024-02-29');
  });
});

describe('requests', () => {
  it('names the field when a specimen has a malformed CPT code or a slide names an unknown specimen', () => {
    const body = { accessionNumber: 'S26-9', ...details() };
    const badCpt = NewCaseRequest.safeParse({ ...body, specimens: [{ specimenId: 'A', primaryCpt: '8830', units: 1 }], slides: [] });
    expect(badCpt.error?.issues.map((i) => i.path.join('.'))).toEqual(['specimens.0.primaryCpt']);
    const unknown = NewCaseRequest.safeParse({ ...body, slides: [{ barcode: 'S-C1-1', specimenId: 'C' }] });
    expect(unknown.error?.issues.map((i) => i.path.join('.'))).toEqual(['slides.0.specimenId']);
    const noAccession = NewCaseRequest.safeParse(details());
    expect(noAccession.error?.issues.map((i) => i.path.join('.'))).toEqual(['accessionNumber']);
  });

  it('names a diagnosis pointer past the case diagnoses and a malformed modifier', () => {
    const body = { accessionNumber: 'S26-9', ...details(), slides: [] };
    const specimens = (over: Record<string, unknown>) => [{ specimenId: 'A', primaryCpt: '88305', units: 1, ...over }];
    const pastEnd = NewCaseRequest.safeParse({ ...body, specimens: specimens({ diagnosisPointers: [1, 3] }) });
    expect(pastEnd.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['specimens.0.diagnosisPointers.1', "diagnosis pointer 3 points past the case's 2 diagnoses"],
    ]);
    const badModifier = NewCaseRequest.safeParse({ ...body, specimens: specimens({ modifiers: ['59', 'q1x'] }) });
    expect(badModifier.error?.issues.map((i) => i.path.join('.'))).toEqual(['specimens.0.modifiers.1']);
    const ok = NewCaseRequest.parse({ ...body, flags: { researchStudy: true }, specimens: specimens({ modifiers: ['Q1'], diagnosisPointers: [2] }) });
    expect(ok.flags).toEqual({ researchStudy: true });
    expect(ok.specimens[0]).toMatchObject({ modifiers: ['Q1'], diagnosisPointers: [2] });
  });

  it('round-trips a page cursor and refuses one it did not make', () => {
    const cursor = { createdAt: new Date('2026-11-27T10:00:00.123Z'), accessionNumber: 'S26-000123' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('["yesterday","S26-1"]').toString('base64url'))).toBeUndefined();
    const query = ListCasesQuery.safeParse({ cursor: 'garbage', limit: '10' });
    expect(query.error?.issues.map((i) => i.path.join('.'))).toEqual(['cursor']);
    expect(ListCasesQuery.parse({ limit: '10', status: 'active' })).toEqual({ limit: 10, status: 'active', cursor: undefined });
    expect(ListCasesQuery.safeParse({ limit: '0' }).success).toBe(false);
  });
});
