import { z } from 'zod';
import { envelope } from './envelope';
import { AccessionNumber, CptCode, Icd10Code, IsoDate, IsoDateTime, SlideBarcode, SpecimenId } from './primitives';

export const TraceLine = z.object({ rule: z.string(), outcome: z.string(), detail: z.string() });

/**
 * A digitization charge. `chargeId` is stable (derived from accession, specimen and code), so a
 * billing system that sees the same chargeId twice must treat the second as a repeat.
 */
export const Charge = z.object({
  chargeId: z.uuid(),
  chargeKey: z.string(),
  transactionType: z.literal('CG'),
  accessionNumber: AccessionNumber,
  specimenId: SpecimenId,
  code: CptCode,
  primaryCode: CptCode,
  units: z.int().min(1),
  dateOfService: IsoDate,
  patientId: z.string(),
  payerId: z.string(),
  diagnoses: z.array(Icd10Code),
  slideBarcodes: z.array(SlideBarcode),
  scanIds: z.array(z.string()),
  causedBy: z.array(z.string()),
  postedAt: IsoDateTime,
  trace: z.array(TraceLine),
});
export type Charge = z.infer<typeof Charge>;

export const ChargePosted = envelope('charge.posted', Charge);
export const ChargeEvent = z.discriminatedUnion('type', [ChargePosted]);
export type ChargeEvent = z.infer<typeof ChargeEvent>;
