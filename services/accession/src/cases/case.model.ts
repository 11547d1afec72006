import { z } from 'zod';
import { AccessionNumber, AdministrativeSex, CaseDetails, CaseFlags, CaseSnapshot, PatientDemographics } from '@slidecharge/contracts';

/**
 * Request and response shapes of the case API, and the pure functions that put a case in its one
 * canonical form (so "did anything change?" has a single answer, whatever order the LIS sends).
 */

export const CaseStatus = z.enum(['active', 'cancelled']);
export type CaseStatus = z.infer<typeof CaseStatus>;

/** POST /cases: the case details plus the accession number that names the case. */
export const NewCaseRequest = CaseDetails.safeExtend({ accessionNumber: AccessionNumber });
export type NewCaseRequest = z.output<typeof NewCaseRequest>;

/** PUT /cases/:accessionNumber: the case details; an accessionNumber in the body, if any, must match the path. */
export const ReplaceCaseRequest = CaseDetails.safeExtend({ accessionNumber: AccessionNumber.optional() });
export type ReplaceCaseRequest = z.output<typeof ReplaceCaseRequest>;

export const CancelCaseRequest = z.object({
  reason: z.string().trim().min(1, 'a cancel reason is required').max(500),
  patientId: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe('When given, the case must belong to this patient, else 409 patient_mismatch and nothing is cancelled (the answer never says whose the case is)'),
});
export type CancelCaseRequest = z.output<typeof CancelCaseRequest>;

export const CasePathParams = z.object({ accessionNumber: AccessionNumber });

/** Where a page of the case list ends: the last case's creation time and accession number. */
export interface PageCursor {
  createdAt: Date;
  accessionNumber: string;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.accessionNumber]), 'utf8').toString('base64url');
}

/** Reads a cursor made by encodeCursor; undefined when it is not one. */
export function decodeCursor(text: string): PageCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, accessionNumber] = value as unknown[];
    if (typeof at !== 'string' || typeof accessionNumber !== 'string') return undefined;
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || !AccessionNumber.safeParse(accessionNumber).success) return undefined;
    return { createdAt, accessionNumber };
  } catch {
    return undefined;
  }
}

/** GET /cases query: ?status=active|cancelled&limit=1..200&cursor=<nextCursor of the previous page>. */
export const ListCasesQuery = z.object({
  status: CaseStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(200)
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return undefined;
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned (use nextCursor of the previous page)' });
      return cursor;
    }),
});
export type ListCasesQuery = z.output<typeof ListCasesQuery>;

/** GET /cases/{accessionNumber}: the case as its last case event carried it, and the trace that wrote that version. */
export const CaseView = CaseSnapshot.extend({
  traceId: z
    .string()
    .optional()
    .describe('W3C trace id (32 hex) of the request or HL7 message that wrote the current version; absent for versions older than tracing'),
});
export type CaseView = z.infer<typeof CaseView>;

export const CasePage = z.object({
  items: z.array(CaseSnapshot),
  nextCursor: z.string().optional().describe('Pass as ?cursor= to read the next (older) page; absent on the last page.'),
});
export type CasePage = z.infer<typeof CasePage>;

export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  conflicts: z.array(z.object({ barcode: z.string(), accessionNumber: z.string() })).optional(),
  sizeBytes: z.int().nonnegative().optional().describe('413 case_too_large: the case event size in bytes'),
  limitBytes: z.int().nonnegative().optional().describe('413 case_too_large: ACCESSION_MAX_CASE_BYTES'),
});

const collator = new Intl.Collator('en', { numeric: true });
const byText = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** Optional free text: absent, null and "" all mean "not given". */
const optionalText = (value: string | null | undefined): string | undefined => (value === undefined || value === null || value === '' ? undefined : value);

/** Copies `value` keeping only the keys whose value is defined (so two equal cases serialize equally). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The case flags in the contract's order; each is stored as a boolean column (false = not set). */
export const CASE_FLAG_NAMES = ['researchStudy', 'digitalSignOut', 'abnOnFile', 'physicianOffice', 'reducedService'] as const satisfies readonly (keyof CaseFlags)[];

/**
 * Case flags in canonical form: only the flags that are set (true), in the contract's order; undefined
 * when none is. An absent flag means "no" (contract CaseFlags), so `false` and `{}` say the same as
 * nothing at all and are not published.
 */
export function canonicalFlags(flags: CaseFlags | undefined): CaseFlags | undefined {
  const set = CASE_FLAG_NAMES.filter((name) => flags?.[name] === true);
  return set.length ? (Object.fromEntries(set.map((name) => [name, true])) as CaseFlags) : undefined;
}

/** The patient's demographics with empty text dropped; undefined when nothing is known beyond the id. */
export function canonicalPatient(patient: PatientDemographics | undefined): PatientDemographics | undefined {
  if (!patient) return undefined;
  const kept = defined({
    familyName: optionalText(patient.familyName),
    givenName: optionalText(patient.givenName),
    birthDate: optionalText(patient.birthDate),
    administrativeSex: patient.administrativeSex,
    identifierAuthority: optionalText(patient.identifierAuthority),
  });
  return Object.keys(kept).length ? kept : undefined;
}

/**
 * The one form a case's details are stored, compared and published in: specimens ordered by specimen
 * id (A, B, ... 2, 10), slides by specimen then barcode, empty optional text dropped, only the flags
 * that are set, no empty modifier or diagnosis-pointer list (an empty list says what an absent one
 * says: no modifiers; the first four diagnoses). Diagnoses, modifiers and diagnosis pointers keep the
 * LIS's order (the first diagnosis is the primary one; modifier and pointer order is what goes on the
 * claim).
 */
export function canonicalDetails(details: CaseDetails): CaseDetails {
  return {
    patientId: details.patientId,
    ...defined({ patient: canonicalPatient(details.patient) }),
    payer: defined({ payerId: details.payer.payerId, name: optionalText(details.payer.name), plan: optionalText(details.payer.plan) }),
    collectionDate: details.collectionDate,
    ...defined({ orderingProvider: optionalText(details.orderingProvider), orderingProviderNpi: optionalText(details.orderingProviderNpi) }),
    diagnoses: [...details.diagnoses],
    ...defined({ flags: canonicalFlags(details.flags) }),
    specimens: [...details.specimens]
      .sort((a, b) => byText(a.specimenId, b.specimenId))
      .map((s) =>
        defined({
          specimenId: s.specimenId,
          description: optionalText(s.description),
          retrievedFromStorageDate: optionalText(s.retrievedFromStorageDate),
          primaryCpt: s.primaryCpt,
          units: s.units,
          modifiers: s.modifiers?.length ? [...s.modifiers] : undefined,
          diagnosisPointers: s.diagnosisPointers?.length ? [...s.diagnosisPointers] : undefined,
        }),
      ),
    slides: [...details.slides]
      .sort((a, b) => byText(a.specimenId, b.specimenId) || byText(a.barcode, b.barcode))
      .map((s) => defined({ barcode: s.barcode, specimenId: s.specimenId, block: optionalText(s.block), stain: optionalText(s.stain) })),
  };
}

/** True when two descriptions of a case say the same thing (order of specimens and slides aside). */
export function sameDetails(a: CaseDetails, b: CaseDetails): boolean {
  return JSON.stringify(canonicalDetails(a)) === JSON.stringify(canonicalDetails(b));
}

/** The details part of a snapshot. */
export function detailsOf(snapshot: CaseSnapshot): CaseDetails {
  const { patientId, patient, payer, collectionDate, orderingProvider, orderingProviderNpi, diagnoses, flags, specimens, slides } = snapshot;
  return { patientId, patient, payer, collectionDate, orderingProvider, orderingProviderNpi, diagnoses, flags, specimens, slides };
}

/** A full case snapshot in canonical form (what GET returns and every case event carries). */
export function buildSnapshot(
  accessionNumber: string,
  status: CaseStatus,
  version: number,
  details: CaseDetails,
  cancelReason?: string | null,
): CaseSnapshot {
  const d = canonicalDetails(details);
  return defined({
    accessionNumber,
    status,
    version,
    patientId: d.patientId,
    patient: d.patient,
    payer: d.payer,
    collectionDate: d.collectionDate,
    orderingProvider: d.orderingProvider,
    orderingProviderNpi: d.orderingProviderNpi,
    diagnoses: d.diagnoses,
    flags: d.flags,
    specimens: d.specimens,
    slides: d.slides,
    cancelReason: optionalText(cancelReason),
  });
}

/** The flag columns of a case: each flag true or false (not set). */
export function flagColumns(flags: CaseFlags | undefined): Record<(typeof CASE_FLAG_NAMES)[number], boolean> {
  return Object.fromEntries(CASE_FLAG_NAMES.map((name) => [name, flags?.[name] === true])) as Record<(typeof CASE_FLAG_NAMES)[number], boolean>;
}

/** Postgres DATE <-> the contract's YYYY-MM-DD: the date is a calendar day, kept at UTC midnight. */
export const dateToDb = (isoDate: string): Date => new Date(`${isoDate}T00:00:00.000Z`);
export const dateFromDb = (date: Date): string => date.toISOString().slice(0, 10);

/** The stored rows of one case, as the repository reads them. */
export interface CaseRows {
  accessionNumber: string;
  status: string;
  version: number;
  patientId: string;
  patientFamilyName: string | null;
  patientGivenName: string | null;
  patientBirthDate: Date | null;
  patientAdministrativeSex: string | null;
  patientIdentifierAuthority: string | null;
  payerId: string;
  payerName: string | null;
  payerPlan: string | null;
  collectionDate: Date;
  orderingProvider: string | null;
  orderingProviderNpi: string | null;
  diagnoses: string[];
  researchStudy: boolean;
  digitalSignOut: boolean;
  abnOnFile: boolean;
  physicianOffice: boolean;
  reducedService: boolean;
  cancelReason: string | null;
  specimens: {
    specimenId: string;
    description: string | null;
    retrievedFromStorageDate: Date | null;
    primaryCpt: string;
    units: number;
    /** Empty = none sent (columns NOT NULL DEFAULT '{}'). */
    modifiers: string[];
    diagnosisPointers: number[];
    slides: { barcode: string; specimenId: string; block: string | null; stain: string | null }[];
  }[];
}

export function snapshotFromRows(row: CaseRows): CaseSnapshot {
  const status = CaseStatus.parse(row.status);
  return buildSnapshot(
    row.accessionNumber,
    status,
    row.version,
    {
      patientId: row.patientId,
      patient: patientFromRow(row),
      payer: { payerId: row.payerId, name: optionalText(row.payerName), plan: optionalText(row.payerPlan) },
      collectionDate: dateFromDb(row.collectionDate),
      orderingProvider: optionalText(row.orderingProvider),
      orderingProviderNpi: optionalText(row.orderingProviderNpi),
      diagnoses: row.diagnoses,
      flags: Object.fromEntries(CASE_FLAG_NAMES.map((name) => [name, row[name]])),
      specimens: row.specimens.map((s) => ({
        specimenId: s.specimenId,
        description: optionalText(s.description),
        retrievedFromStorageDate: s.retrievedFromStorageDate ? dateFromDb(s.retrievedFromStorageDate) : undefined,
        primaryCpt: s.primaryCpt,
        units: s.units,
        modifiers: s.modifiers,
        diagnosisPointers: s.diagnosisPointers,
      })),
      slides: row.specimens.flatMap((s) =>
        s.slides.map((sl) => ({ barcode: sl.barcode, specimenId: sl.specimenId, block: optionalText(sl.block), stain: optionalText(sl.stain) })),
      ),
    },
    row.cancelReason,
  );
}

/** The patient columns of a case (each null when the LIS did not send it). */
export function patientColumns(patient: PatientDemographics | undefined) {
  return {
    patientFamilyName: patient?.familyName ?? null,
    patientGivenName: patient?.givenName ?? null,
    patientBirthDate: patient?.birthDate ? dateToDb(patient.birthDate) : null,
    patientAdministrativeSex: patient?.administrativeSex ?? null,
    patientIdentifierAuthority: patient?.identifierAuthority ?? null,
  };
}

function patientFromRow(row: CaseRows): PatientDemographics | undefined {
  return canonicalPatient({
    familyName: optionalText(row.patientFamilyName),
    givenName: optionalText(row.patientGivenName),
    birthDate: row.patientBirthDate ? dateFromDb(row.patientBirthDate) : undefined,
    administrativeSex: row.patientAdministrativeSex ? AdministrativeSex.parse(row.patientAdministrativeSex) : undefined,
    identifierAuthority: optionalText(row.patientIdentifierAuthority),
  });
}
