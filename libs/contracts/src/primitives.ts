import { z } from 'zod';

/** LIS accession number, e.g. S26-000123. Formats vary by LIS, so only the character set is fixed. */
export const AccessionNumber = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Specimen id within a case: A, B, C... (some LIS use 1, 2, 3 or A1). */
export const SpecimenId = z.string().trim().min(1).max(8).regex(/^[A-Za-z0-9]+$/, 'letters and digits only');

/** Slide label barcode as printed by histology. */
export const SlideBarcode = z.string().trim().min(3).max(64).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** CPT or HCPCS code: five characters, e.g. 88305 or 0753T. */
export const CptCode = z.string().regex(/^\d{4}[0-9A-Z]$/, 'a CPT code such as 88305 or 0753T');

/** ICD-10-CM diagnosis code, e.g. C50.911. */
export const Icd10Code = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/, 'an ICD-10-CM code such as C50.911');

export const IsoDate = z.iso.date();
export const IsoDateTime = z.iso.datetime({ offset: true });

export const ScanPurpose = z.enum(['diagnostic', 'consult', 'archive', 'education', 'conference']);
export type ScanPurpose = z.infer<typeof ScanPurpose>;
