import type { CaseDetails } from '@slidecharge/contracts';
import { encodeSegment, formatHl7DateTime, type FieldInput } from './encoding';

export interface OrderMessageOptions {
  /** MSH-10. */
  controlId: string;
  /** ORC-3 / OBR-3 filler order number. */
  accessionNumber: string;
  /** ORC-1 of every ORC; default NW. */
  orderControl?: string;
  /**
   * ORM^O01: one ORC + OBR per specimen (specimen ids must then be A, B, C... in order, since they
   * are read from OBR-1), slides as SAC after their OBR. OML^O21: one ORC + OBR, an SPM per
   * specimen, slides as SAC after their SPM. Default ORM^O01.
   */
  structure?: 'ORM^O01' | 'OML^O21';
  /** MSH-12; default 2.5.1. */
  version?: string;
  /** The whole case, for a new or changed order. Leave out for a cancel. */
  case?: CaseDetails;
  /** PID-3 when there is no case (a cancel). */
  patientId?: string;
  /** ORC-16 text of a cancel. */
  cancelReason?: string;
  /** MSH-7; default now. */
  timestamp?: Date;
  sendingApplication?: string;
  sendingFacility?: string;
  receivingApplication?: string;
  receivingFacility?: string;
  /** MSH-11; default P. */
  processingId?: string;
  /** MSH-15 / MSH-16 (e.g. AL / NE): enhanced acknowledgment mode. Default empty (original mode). */
  acceptAcknowledgmentType?: string;
  applicationAcknowledgmentType?: string;
  /** MSH-18 character set (HL7 table 0211), e.g. 8859/1; the caller encodes the bytes to match. */
  characterSet?: string;
}

const V25 = (version: string) => !['2.1', '2.2', '2.3', '2.3.1', '2.4'].includes(version);

const HL7_DATE = (iso: string) => iso.replace(/-/g, '');

/**
 * Builds an order message in the profile `parseOrder` reads with DEFAULT_ORDER_MAPPING (the reverse
 * of it for the case fields that mapping carries: patient, payer, collection date, ordering provider,
 * diagnoses, specimens with primary code, units, description and modifiers, slides with barcode and
 * block). For tests, simulators and documentation samples. Segments are joined by CR.
 */
export function buildOrderMessage(options: OrderMessageOptions): string {
  const control = options.orderControl ?? 'NW';
  const version = options.version ?? '2.5.1';
  const structure = options.structure ?? 'ORM^O01';
  const [type, trigger] = structure.split('^') as [string, string];
  const c = options.case;
  const accession = options.accessionNumber;
  const placer = `PL-${accession}`;
  const segments: string[] = [
    encodeSegment('MSH', [
      options.sendingApplication ?? 'LIS',
      options.sendingFacility ?? 'LAB',
      options.receivingApplication ?? 'SLIDECHARGE',
      options.receivingFacility ?? 'PATH',
      formatHl7DateTime(options.timestamp ?? new Date()),
      undefined,
      [type, trigger, `${type}_${trigger}`],
      options.controlId,
      options.processingId ?? 'P',
      version,
      undefined,
      undefined,
      options.acceptAcknowledgmentType,
      options.applicationAcknowledgmentType,
      undefined,
      options.characterSet,
    ]),
  ];
  const patientId = c?.patientId ?? options.patientId;
  if (patientId) segments.push(pidSegment(patientId, c?.patient));
  if (c) {
    segments.push(encodeSegment('PV1', [1, 'O']));
    segments.push(encodeSegment('IN1', [1, [c.payer.plan], [c.payer.payerId], [c.payer.name]]));
  }
  const orc = (extra: FieldInput[] = []) =>
    encodeSegment('ORC', [control, [placer], [accession], undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, providerField(c), ...extra]);

  if (!c) {
    // A cancel: the accession is enough; ORC-16 says why.
    const reason = options.cancelReason ? [undefined, undefined, undefined, [undefined, options.cancelReason]] : [];
    segments.push(orc(reason));
    return segments.join('\r');
  }

  const obr = (setId: number, specimen?: CaseDetails['specimens'][number]) => {
    const fields: FieldInput[] = [];
    fields[0] = setId;
    fields[1] = [placer];
    fields[2] = [accession];
    fields[3] = specimen ? [specimen.primaryCpt, undefined, 'C4'] : ['SURG', 'Surgical pathology', 'L'];
    fields[6] = HL7_DATE(c.collectionDate);
    if (specimen?.description && structure === 'ORM^O01') fields[14] = [[undefined, specimen.description]];
    if (specimen && specimen.units !== 1 && !V25(version)) fields[26] = [[specimen.units]];
    if (specimen && structure === 'ORM^O01') fields[19] = specimen.specimenId;
    if (specimen) fields[43] = [specimen.primaryCpt, undefined, 'C4'];
    if (specimen?.modifiers?.length) fields[44] = { repeat: specimen.modifiers.map((m) => [m]) };
    return encodeSegment('OBR', Array.from(fields, (f) => f));
  };
  // v2.5+: the quantity in TQ1-2 of the order group (OBR-27 is for backward compatibility only).
  const timing = (specimen: CaseDetails['specimens'][number]) => (V25(version) && specimen.units !== 1 ? [encodeSegment('TQ1', [1, [specimen.units]])] : []);
  const sac = (slide: CaseDetails['slides'][number]) => encodeSegment('SAC', [undefined, undefined, [slide.barcode], slide.block ? [slide.block] : undefined]);
  const slidesOf = (specimenId: string) => c.slides.filter((s) => s.specimenId === specimenId);

  if (structure === 'ORM^O01') {
    c.specimens.forEach((s, i) => {
      segments.push(orc(), ...timing(s), obr(i + 1, s));
      for (const slide of slidesOf(s.specimenId)) segments.push(sac(slide));
    });
  } else {
    // OML^O21: one ORC + OBR per specimen (the OBR carries its procedure code), then its SPM and slides.
    let setId = 0;
    for (const s of c.specimens) {
      segments.push(orc(), ...timing(s), obr(++setId, s));
      segments.push(
        encodeSegment('SPM', [
          setId,
          [[s.specimenId]],
          undefined,
          ['TISS', undefined, 'HL70487'],
          undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined,
          s.description ? [s.description] : undefined,
          undefined,
          undefined,
          [[HL7_DATE(c.collectionDate)]],
        ]),
      );
      for (const slide of slidesOf(s.specimenId)) segments.push(sac(slide));
    }
  }
  c.diagnoses.forEach((code, i) => segments.push(encodeSegment('DG1', [i + 1, undefined, [code, undefined, 'I10']])));
  return segments.join('\r');
}

/** PID-3 (with PID-3.4 when known), PID-5 family^given, PID-7 birth date, PID-8 sex. */
function pidSegment(patientId: string, patient: CaseDetails['patient']): string {
  const p = patient ?? {};
  return encodeSegment('PID', [
    1,
    undefined,
    [patientId, undefined, undefined, p.identifierAuthority, 'MR'],
    undefined,
    p.familyName || p.givenName ? [p.familyName, p.givenName] : undefined,
    undefined,
    p.birthDate ? HL7_DATE(p.birthDate) : undefined,
    p.administrativeSex,
  ]);
}

/** ORC-12: the NPI in XCN-1 (identifier type NPI) with the provider text as family name; else the text in XCN-1. */
function providerField(c: CaseDetails | undefined): FieldInput {
  if (!c) return undefined;
  if (c.orderingProviderNpi) {
    return [c.orderingProviderNpi, c.orderingProvider, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'NPI'];
  }
  return c.orderingProvider ? [c.orderingProvider] : undefined;
}
