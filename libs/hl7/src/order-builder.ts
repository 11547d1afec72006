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
  const c = options.case;
  const segments = [mshSegment(options)];
  const patientId = c?.patientId ?? options.patientId;
  if (patientId) segments.push(pidSegment(patientId, c?.patient));
  if (!c) return [...segments, cancelOrcSegment(options)].join('\r');
  segments.push(encodeSegment('PV1', [1, 'O']), encodeSegment('IN1', [1, [c.payer.plan], [c.payer.payerId], [c.payer.name]]));
  const order = { ...options, case: c, version: options.version ?? '2.5.1', structure: options.structure ?? 'ORM^O01' };
  c.specimens.forEach((specimen, i) => segments.push(...specimenGroup(order, specimen, i + 1)));
  c.diagnoses.forEach((code, i) => segments.push(encodeSegment('DG1', [i + 1, undefined, [code, undefined, 'I10']])));
  return segments.join('\r');
}

type Specimen = CaseDetails['specimens'][number];
type Slide = CaseDetails['slides'][number];
/** The options of an order (not a cancel), with their defaults. */
type CaseOrder = OrderMessageOptions & { case: CaseDetails; version: string; structure: 'ORM^O01' | 'OML^O21' };

function mshSegment(options: OrderMessageOptions): string {
  const [type, trigger] = (options.structure ?? 'ORM^O01').split('^') as [string, string];
  return encodeSegment('MSH', [
    options.sendingApplication ?? 'LIS',
    options.sendingFacility ?? 'LAB',
    options.receivingApplication ?? 'SLIDECHARGE',
    options.receivingFacility ?? 'PATH',
    formatHl7DateTime(options.timestamp ?? new Date()),
    undefined,
    [type, trigger, `${type}_${trigger}`],
    options.controlId,
    options.processingId ?? 'P',
    options.version ?? '2.5.1',
    undefined,
    undefined,
    options.acceptAcknowledgmentType,
    options.applicationAcknowledgmentType,
    undefined,
    options.characterSet,
  ]);
}

/** ORC-1..3 and ORC-12, plus `extra` from ORC-13 on. */
function orcSegment(options: OrderMessageOptions, extra: FieldInput[] = []): string {
  const accession = options.accessionNumber;
  const empty = Array<FieldInput>(8).fill(undefined);
  return encodeSegment('ORC', [options.orderControl ?? 'NW', [`PL-${accession}`], [accession], ...empty, providerField(options.case), ...extra]);
}

/** A cancel: the accession is enough; ORC-16 says why. */
function cancelOrcSegment(options: OrderMessageOptions): string {
  const reason = options.cancelReason ? [undefined, undefined, undefined, [undefined, options.cancelReason]] : [];
  return orcSegment(options, reason);
}

/** ORC, TQ1 (v2.5+), OBR, then SPM (OML^O21) and the specimen's slides as SAC. */
function specimenGroup(order: CaseOrder, specimen: Specimen, setId: number): string[] {
  const slides = order.case.slides.filter((s) => s.specimenId === specimen.specimenId).map(sacSegment);
  const spm = order.structure === 'OML^O21' ? [spmSegment(order.case, specimen, setId)] : [];
  return [orcSegment(order), ...timing(order.version, specimen), obrSegment(order, specimen, setId), ...spm, ...slides];
}

/** v2.5+: the quantity in TQ1-2 of the order group (OBR-27 is for backward compatibility only). */
function timing(version: string, specimen: Specimen): string[] {
  return V25(version) && specimen.units !== 1 ? [encodeSegment('TQ1', [1, [specimen.units]])] : [];
}

function obrSegment(order: CaseOrder, specimen: Specimen, setId: number): string {
  const orm = order.structure === 'ORM^O01';
  const fields: FieldInput[] = [];
  fields[0] = setId;
  fields[1] = [`PL-${order.accessionNumber}`];
  fields[2] = [order.accessionNumber];
  fields[3] = [specimen.primaryCpt, undefined, 'C4'];
  fields[6] = HL7_DATE(order.case.collectionDate);
  if (specimen.description && orm) fields[14] = [[undefined, specimen.description]];
  if (orm) fields[19] = specimen.specimenId;
  if (specimen.units !== 1 && !V25(order.version)) fields[26] = [[specimen.units]];
  fields[43] = [specimen.primaryCpt, undefined, 'C4'];
  if (specimen.modifiers?.length) fields[44] = { repeat: specimen.modifiers.map((m) => [m]) };
  return encodeSegment('OBR', Array.from(fields, (f) => f));
}

/** OML^O21: SPM-2 specimen id, SPM-4 tissue, SPM-14 description, SPM-17 collection date. */
function spmSegment(c: CaseDetails, specimen: Specimen, setId: number): string {
  const fields: FieldInput[] = [];
  fields[0] = setId;
  fields[1] = [[specimen.specimenId]];
  fields[3] = ['TISS', undefined, 'HL70487'];
  if (specimen.description) fields[13] = [specimen.description];
  fields[16] = [[HL7_DATE(c.collectionDate)]];
  return encodeSegment('SPM', Array.from(fields, (f) => f));
}

function sacSegment(slide: Slide): string {
  return encodeSegment('SAC', [undefined, undefined, [slide.barcode], slide.block ? [slide.block] : undefined]);
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
