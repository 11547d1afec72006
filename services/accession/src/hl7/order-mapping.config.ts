import { DEFAULT_ORDER_MAPPING, type FieldRef, type OrderMapping } from '@slidecharge/hl7';

/** The order mapping the intake uses: the default, with the settings an LIS needs applied. */
export interface OrderMappingSettings {
  /** SEG-n or SEG-n.c: the field of a specimen's own segment whose repetitions are slide barcodes. */
  ACCESSION_HL7_SLIDE_BARCODE_FIELD?: string | undefined;
  /** SEG-n or SEG-n.c: the field of a specimen's own segment that holds its retrieved-from-storage date. */
  ACCESSION_HL7_RETRIEVAL_DATE_FIELD?: string | undefined;
}

/** "OBR-21" or "OBR-21.1" as a FieldRef; undefined for anything else. */
export function fieldRefOf(text: string): FieldRef | undefined {
  const m = /^([A-Z][A-Z0-9]{2})-(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, segment, field, component] = m;
  return { segment: segment ?? '', field: Number(field), ...(component ? { component: Number(component) } : {}) };
}

/** The FieldRef list of a setting: the one field it names, or none. */
function refsOf(setting: string | undefined): FieldRef[] {
  const ref = setting ? fieldRefOf(setting) : undefined;
  return ref ? [ref] : [];
}

export function orderMappingOf(settings: OrderMappingSettings): OrderMapping {
  const specimenSlideBarcodes = refsOf(settings.ACCESSION_HL7_SLIDE_BARCODE_FIELD);
  const specimenRetrievedFromStorageDate = refsOf(settings.ACCESSION_HL7_RETRIEVAL_DATE_FIELD);
  if (!specimenSlideBarcodes.length && !specimenRetrievedFromStorageDate.length) return DEFAULT_ORDER_MAPPING;
  return { ...DEFAULT_ORDER_MAPPING, specimenSlideBarcodes, specimenRetrievedFromStorageDate };
}
