import { z } from 'zod';
import { envelope } from './envelope';
import { AccessionNumber, CptCode, Icd10Code, IsoDate, IsoDateTime, SlideBarcode, SpecimenId } from './primitives';

export const TraceLine = z.object({ rule: z.string(), outcome: z.string(), detail: z.string() });

export const Performer = z.object({
  /** The step of the work this performer did: digitization is the scanning step. */
  step: z.literal('scanning'),
  /** NUCC Health Care Provider Taxonomy code of the staff who scanned. */
  taxonomy: z.string().regex(/^[0-9A-Z]{9}X$/),
  description: z.string(),
});

/** Who let a held charge go, and why (present only on a charge released from the review queue). */
export const Release = z.object({ by: z.string(), justification: z.string(), at: IsoDateTime });

/**
 * A digitization charge. `chargeId` is stable (derived from accession, specimen, code and, after a
 * reversal, the charge's generation), so a billing system that sees the same chargeId twice must treat
 * the second as a repeat.
 */
export const Charge = z.object({
  chargeId: z.uuid(),
  /** `${accessionNumber}/${specimenId}/${code}`: one digitization charge per specimen and code (per generation). */
  chargeKey: z.string(),
  transactionType: z.literal('CG'),
  accessionNumber: AccessionNumber,
  specimenId: SpecimenId,
  /** The digitization add-on code, e.g. 0753T. */
  code: CptCode,
  /** The primary procedure code (88305...) the add-on is reported with. */
  primaryCode: CptCode,
  /** One-to-one with the primary code's units. */
  units: z.int().min(1),
  /**
   * The specimen collection date (`YYYY-MM-DD`), never the scan date; for an archived specimen (stored
   * more than 30 days before it was digitized) the date it was obtained from storage (42 CFR 414.510(b)).
   */
  dateOfService: IsoDate,
  patientId: z.string(),
  payerId: z.string(),
  diagnoses: z.array(Icd10Code),
  slideBarcodes: z.array(SlideBarcode),
  scanIds: z.array(z.string()),
  causedBy: z.array(z.string()),
  postedAt: IsoDateTime,
  /** Modifiers on the charge line, in order (payer modifiers such as GY included). */
  modifiers: z.array(z.string().regex(/^[A-Z0-9]{2}$/)).max(4),
  /** 1-based pointers into the case's diagnoses; `diagnoses` holds the codes they point to. */
  diagnosisPointers: z.array(z.int().min(1)).max(4),
  performer: Performer,
  /** Version of the payer policy set the charge was decided under, and the payer policy used. */
  policyVersion: z.string(),
  payerPolicyId: z.string(),
  /** e.g. `unknown-payer`: the default policy was used. */
  flags: z.array(z.string()),
  /** The reversed charge of the same specimen this one replaces (payer, units or code changed). */
  replacesChargeId: z.uuid().optional(),
  release: Release.optional(),
  trace: z.array(TraceLine),
});
export type Charge = z.infer<typeof Charge>;

/**
 * Reverses a charge already on this topic (HL7 FT1-6 = CD, referencing the original chargeId). The
 * charge itself is never edited; `creditId` is stable (one credit per charge).
 */
export const Credit = z.object({
  creditId: z.uuid(),
  transactionType: z.literal('CD'),
  creditFor: z.uuid(),
  chargeKey: z.string(),
  accessionNumber: AccessionNumber,
  specimenId: SpecimenId,
  code: CptCode,
  primaryCode: CptCode,
  units: z.int().min(1),
  dateOfService: IsoDate,
  patientId: z.string(),
  payerId: z.string(),
  modifiers: z.array(z.string()),
  diagnoses: z.array(Icd10Code),
  /** case-cancelled, specimen-removed, primary-code-changed, units-changed, payer-changed, slide-reassigned... */
  reason: z.string(),
  detail: z.string(),
  causedBy: z.array(z.string()),
  creditedAt: IsoDateTime,
  trace: z.array(TraceLine),
});
export type Credit = z.infer<typeof Credit>;

export const ChargePosted = envelope('charge.posted', Charge);
export const ChargeCredited = envelope('charge.credited', Credit);
export const ChargeEvent = z.discriminatedUnion('type', [ChargePosted, ChargeCredited]);
export type ChargeEvent = z.infer<typeof ChargeEvent>;
