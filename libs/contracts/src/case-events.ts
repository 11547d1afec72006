import { z } from 'zod';
import { envelope } from './envelope';
import { AccessionNumber, CptCode, Icd10Code, IsoDate, SlideBarcode, SpecimenId } from './primitives';

export const Specimen = z.object({
  specimenId: SpecimenId,
  description: z.string().max(200).optional(),
  primaryCpt: CptCode,
  units: z.int().min(1).max(99),
});

export const Slide = z.object({
  barcode: SlideBarcode,
  specimenId: SpecimenId,
  block: z.string().max(16).optional(),
  stain: z.string().max(32).optional(),
});

export const Payer = z.object({
  payerId: z.string().trim().min(1).max(64),
  name: z.string().max(128).optional(),
  plan: z.string().max(128).optional(),
});

/** The case as the LIS describes it: what the accession service stores and publishes. */
export const CaseDetails = z
  .object({
    patientId: z.string().trim().min(1).max(64),
    payer: Payer,
    collectionDate: IsoDate,
    orderingProvider: z.string().max(128).optional(),
    diagnoses: z.array(Icd10Code).max(12).default([]),
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
  payer: Payer,
  collectionDate: IsoDate,
  orderingProvider: z.string().optional(),
  diagnoses: z.array(Icd10Code),
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
