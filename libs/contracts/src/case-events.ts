import { z } from 'zod';
import { envelope } from './envelope';
import { AccessionNumber, CptCode, Icd10Code, IsoDate, SlideBarcode, SpecimenId } from './primitives';

/** A CPT/HCPCS modifier as the LIS requests it for the specimen's charges (2 characters, e.g. 59, Q1). */
export const ModifierCode = z.string().regex(/^[A-Z0-9]{2}$/, 'a modifier is 2 capital letters or digits, e.g. 59 or Q1');

export const Specimen = z.object({
  specimenId: SpecimenId,
  description: z.string().max(200).optional(),
  /**
   * When the specimen was obtained from storage for this service, for a specimen stored after its
   * collection (an archived block recut): the date of service rule of 42 CFR 414.510(b) reads it.
   */
  retrievedFromStorageDate: IsoDate.optional(),
  primaryCpt: CptCode,
  units: z.int().min(1).max(99),
  /** Modifiers the LIS asks for on this specimen's digitization charge; billing checks each against its meaning. */
  modifiers: z.array(ModifierCode).max(4).optional(),
  /** 1-based pointers into the case's diagnoses for this specimen's charge (default: the first four). */
  diagnosisPointers: z.array(z.int().min(1).max(12)).max(12).optional(),
});

/**
 * Facts about the case that change how it is billed. All optional; absent means "no".
 * researchStudy -> Q1 allowed; digitalSignOut -> releases sign-out holds; abnOnFile -> GA allowed;
 * physicianOffice -> SU allowed; reducedService -> 52 allowed.
 */
export const CaseFlags = z.object({
  researchStudy: z.boolean().optional(),
  digitalSignOut: z.boolean().optional(),
  abnOnFile: z.boolean().optional(),
  physicianOffice: z.boolean().optional(),
  reducedService: z.boolean().optional(),
});
export type CaseFlags = z.infer<typeof CaseFlags>;

export const Slide = z.object({
  barcode: SlideBarcode,
  specimenId: SpecimenId,
  block: z.string().max(16).optional(),
  stain: z.string().max(32).optional(),
});

/** HL7 table 0001 administrative sex. */
export const AdministrativeSex = z.enum(['F', 'M', 'O', 'U', 'A', 'N']);

/**
 * The patient as the LIS names them (PID-5, PID-7, PID-8, PID-3.4), for the claim: a billing system
 * needs the name and birth date to match the charge to its patient account. Optional: REST clients
 * may send only the patient id; DFT^P03 delivery refuses a charge whose case lacks what it needs.
 */
export const PatientDemographics = z.object({
  familyName: z.string().trim().min(1).max(80).optional(),
  givenName: z.string().trim().min(1).max(80).optional(),
  birthDate: IsoDate.optional(),
  administrativeSex: AdministrativeSex.optional(),
  /** The authority that assigned patientId (PID-3.4), e.g. the hospital's MRN namespace. */
  identifierAuthority: z.string().trim().min(1).max(64).optional(),
});
export type PatientDemographics = z.infer<typeof PatientDemographics>;

/** A US National Provider Identifier: 10 digits. */
export const Npi = z.string().regex(/^\d{10}$/, 'an NPI is 10 digits');

export const Payer = z.object({
  payerId: z.string().trim().min(1).max(64),
  name: z.string().max(128).optional(),
  plan: z.string().max(128).optional(),
});

/** The case as the LIS describes it: what the accession service stores and publishes. */
export const CaseDetails = z
  .object({
    patientId: z.string().trim().min(1).max(64),
    patient: PatientDemographics.optional(),
    payer: Payer,
    collectionDate: IsoDate,
    orderingProvider: z.string().max(128).optional(),
    /** The ordering provider's NPI (ORC-12.1 / OBR-16.1 when the LIS sends one). */
    orderingProviderNpi: Npi.optional(),
    diagnoses: z.array(Icd10Code).max(12).default([]),
    flags: CaseFlags.optional(),
    specimens: z.array(Specimen).min(1).max(52),
    slides: z.array(Slide).max(2000).default([]),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.specimens.forEach((s, i) => {
      if (ids.has(s.specimenId)) {
        ctx.addIssue({ code: 'custom', path: ['specimens', i, 'specimenId'], message: `specimen ${s.specimenId} appears twice` });
      }
      ids.add(s.specimenId);
      s.diagnosisPointers?.forEach((pointer, j) => {
        if (pointer > c.diagnoses.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['specimens', i, 'diagnosisPointers', j],
            message: `diagnosis pointer ${pointer} points past the case's ${c.diagnoses.length} diagnoses`,
          });
        }
      });
    });
    const barcodes = new Set<string>();
    c.slides.forEach((s, i) => {
      if (!ids.has(s.specimenId)) {
        ctx.addIssue({ code: 'custom', path: ['slides', i, 'specimenId'], message: `slide ${s.barcode} names specimen ${s.specimenId}, which the case does not have` });
      }
      if (barcodes.has(s.barcode)) {
        ctx.addIssue({ code: 'custom', path: ['slides', i, 'barcode'], message: `slide barcode ${s.barcode} appears twice` });
      }
      barcodes.add(s.barcode);
    });
  });
export type CaseDetails = z.infer<typeof CaseDetails>;

/** Full state of a case after a change (event-carried state transfer): consumers keep the latest version. */
export const CaseSnapshot = z.object({
  accessionNumber: AccessionNumber,
  status: z.enum(['active', 'cancelled']),
  version: z.int().min(1),
  patientId: z.string().min(1),
  patient: PatientDemographics.optional(),
  payer: Payer,
  collectionDate: IsoDate,
  orderingProvider: z.string().optional(),
  orderingProviderNpi: Npi.optional(),
  diagnoses: z.array(Icd10Code),
  flags: CaseFlags.optional(),
  specimens: z.array(Specimen).min(1),
  slides: z.array(Slide),
  cancelReason: z.string().optional(),
});
export type CaseSnapshot = z.infer<typeof CaseSnapshot>;

export const CaseCreated = envelope('case.created', CaseSnapshot);
export const CaseUpdated = envelope('case.updated', CaseSnapshot);
export const CaseCancelled = envelope('case.cancelled', CaseSnapshot);
export const CaseEvent = z.discriminatedUnion('type', [CaseCreated, CaseUpdated, CaseCancelled]);
export type CaseEvent = z.infer<typeof CaseEvent>;
