/** A position inside a segment. Component and subcomponent are 1-based and default to 1. */
export interface FieldRef {
  segment: string;
  field: number;
  component?: number;
  subcomponent?: number;
  /** Only accept the value when it matches this regular expression (source text). */
  pattern?: string;
}

/**
 * Where the order parser looks for each value. Plain data, so an interface analyst can adjust it
 * per LIS without code changes. Candidate lists are tried in order; the first non-empty value wins.
 */
export interface OrderMapping {
  /** MSH-12 versions accepted. */
  supportedVersions: string[];
  /** Accepted MSH-9 message type ^ trigger event pairs. */
  messageTypes: { type: string; trigger: string }[];
  /** PID-3 identifier type codes (CX-5) preferred for the patient id; otherwise the first repetition. */
  patientIdentifierTypes: string[];
  /** Primary procedure (CPT) code of a specimen, read from its governing OBR (or the SPM itself). */
  procedureCode: FieldRef[];
  /** Procedure code modifiers of a specimen: every repetition of the first candidate that has any. */
  modifiers: FieldRef[];
  /**
   * Units of service of a specimen; 1 when none of these has a value. TQ1 is the first TQ1 of the
   * specimen's order group (ORC ... OBR), where v2.5+ puts the quantity; OBR-27 is kept for
   * backward compatibility (v2.3, v2.4).
   */
  units: FieldRef[];
  /** Specimen id when specimens come from SPM segments. */
  spmSpecimenId: FieldRef[];
  /** Specimen id when specimens come from OBR segments; when none has a value, OBR-1 set id 1, 2, 3 -> A, B, C. */
  obrSpecimenId: FieldRef[];
  /** Specimen description (optional). */
  specimenDescription: FieldRef[];
  /** Collection date: SPM candidates first (SPM-17 range start), then OBR candidates (OBR-7). */
  collectionDate: FieldRef[];
  /**
   * The segment that carries one slide (a container of the specimen). It belongs to the SPM before
   * it, or, when specimens come from OBR segments, to the OBR before it.
   */
  slideSegment: string;
  /** Slide barcode, read from the slide segment. */
  slideBarcode: FieldRef[];
  /** Block the slide was cut from (optional). */
  slideBlock: FieldRef[];
  /** Stain of the slide (optional; none by default). */
  slideStain: FieldRef[];
  /**
   * SPM-27 container type codes (first component, upper case) that make an SPM a slide of the
   * specimen SPM before it rather than a specimen (IHE PaLM style: every container is an SPM). Its
   * SPM-2 is the slide barcode and SPM-3 (parent) its block. See docs/integration-guide.md.
   */
  spmSlideContainerTypes: string[];
  /** SPM-27 container type codes of a block or cassette: neither specimen nor slide, skipped. */
  spmBlockContainerTypes: string[];
  /**
   * Slide barcodes carried by the specimen's own segment (OBR or SPM), every repetition a slide: for
   * v2.3 LIS systems that have no SAC. Empty by default (set it per LIS, e.g. OBR-20 or OBR-21).
   */
  specimenSlideBarcodes: FieldRef[];
  /**
   * The date the specimen was obtained from storage (an archived specimen, 42 CFR 414.510(b)(2)(ii)),
   * DT or DTM, read from the specimen's own OBR or SPM. No HL7 v2.5.1 field means this, so it is empty
   * by default: set it to the field the LIS agrees to fill (e.g. SPM-18 or OBR-14).
   */
  specimenRetrievedFromStorageDate: FieldRef[];
  /** Payer id used when the order has no IN1 segment (self-pay / client bill). */
  selfPayPayerId: string;
  /** ORC-1 values accepted (HL7 table 0119); others are refused with AE 103. */
  orderControlCodes: string[];
  /** ORC-1 values that create or change (the specimens of) the order. */
  upsertOrderControls: string[];
  /**
   * ORC-1 values that cancel. When every ORC cancels, the message is a cancel (only the accession
   * number is needed); a cancelling ORC among others cancels the specimens of its OBRs.
   */
  cancelOrderControls: string[];
  /** Why the order was cancelled (optional): text of the first ORC's candidates. */
  cancelReason: FieldRef[];
  /** MSH-18 character sets (HL7 table 0211 and common aliases) accepted; see encoding-charset.ts. */
  characterSets?: string[];
}

export const DEFAULT_ORDER_MAPPING: OrderMapping = {
  supportedVersions: ['2.3', '2.3.1', '2.4', '2.5', '2.5.1'],
  messageTypes: [
    { type: 'ORM', trigger: 'O01' },
    { type: 'OML', trigger: 'O21' },
  ],
  patientIdentifierTypes: ['MR', 'MRN', 'PI'],
  // OBR-44 (procedure code) is UNCONFIRMED for our LIS partners; OBR-4 is the fallback when it holds a CPT code.
  procedureCode: [
    { segment: 'OBR', field: 44, component: 1 },
    { segment: 'OBR', field: 4, component: 1, pattern: '^\\d{4}[0-9A-Z]$' },
  ],
  // OBR-45 procedure code modifier (repeating), UNCONFIRMED like OBR-44.
  modifiers: [{ segment: 'OBR', field: 45, component: 1 }],
  // TQ1-2 quantity (CQ: quantity^units) from v2.5; OBR-27.1.1 (TQ quantity) kept for backward compatibility.
  units: [
    { segment: 'TQ1', field: 2, component: 1 },
    { segment: 'OBR', field: 27, component: 1, subcomponent: 1 },
  ],
  spmSpecimenId: [
    { segment: 'SPM', field: 2, component: 1, subcomponent: 1 },
    { segment: 'SPM', field: 2, component: 2, subcomponent: 1 },
  ],
  // OBR-20 (filler field 1): the part letter of LIS systems that send one ORM per specimen, where
  // OBR-1 is 1 in every message. Only a short letters-and-digits value counts.
  obrSpecimenId: [{ segment: 'OBR', field: 20, component: 1, pattern: '^[A-Za-z0-9]{1,8}$' }],
  specimenDescription: [
    { segment: 'SPM', field: 14, component: 1 },
    { segment: 'SPM', field: 4, component: 2 },
    { segment: 'OBR', field: 15, component: 1, subcomponent: 2 },
    { segment: 'OBR', field: 4, component: 2 },
  ],
  collectionDate: [
    { segment: 'SPM', field: 17, component: 1, subcomponent: 1 },
    { segment: 'OBR', field: 7, component: 1 },
  ],
  // SAC (specimen container detail): SAC-3 container identifier = slide barcode, SAC-4 primary
  // (parent) container identifier = block, as in IHE PaLM's anatomic pathology profiles.
  slideSegment: 'SAC',
  slideBarcode: [{ segment: 'SAC', field: 3, component: 1 }],
  slideBlock: [{ segment: 'SAC', field: 4, component: 1 }],
  slideStain: [],
  spmSlideContainerTypes: ['SLIDE', 'SLD', 'SL'],
  spmBlockContainerTypes: ['BLOCK', 'BLK', 'CASSETTE', 'CAS'],
  specimenSlideBarcodes: [],
  specimenRetrievedFromStorageDate: [],
  selfPayPayerId: 'SELF-PAY',
  orderControlCodes: ['NW', 'OK', 'CA', 'CR', 'OC', 'DC', 'DR', 'XO', 'XR', 'XX', 'SC', 'SN', 'RP', 'RO', 'HD', 'HR', 'RL', 'CH', 'PA', 'RE', 'OD', 'OH', 'OR', 'SS', 'UA', 'UC', 'UD', 'UF', 'UH', 'UM', 'UN', 'UR', 'UX'],
  upsertOrderControls: ['NW', 'XO', 'XX', 'XR'],
  cancelOrderControls: ['CA', 'OC', 'CR'],
  cancelReason: [
    { segment: 'ORC', field: 16, component: 2 },
    { segment: 'ORC', field: 16, component: 1 },
  ],
};
