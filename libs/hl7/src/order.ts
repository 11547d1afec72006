import { CaseDetails } from '@slidecharge/contracts';
import type { Hl7Message } from '@medplum/core';
import { parseMessage, readValue } from './encoding';
import type { AckCode, Hl7Error, Hl7ErrorCode, Hl7Location } from './errors';
import { checkFieldLimits, DEFAULT_FIELD_LIMITS, type FieldLimits } from './field-limits';
import { readOrderControls, readOrderGroups, readAccession, readOrderingProvider, type OrderGroup } from './order-common';
import { readDiagnoses } from './order-diagnoses';
import { checkOrderHeader, readOrderHeader, type OrderHeader } from './order-header';
import { readPayer } from './order-insurance';
import { DEFAULT_ORDER_MAPPING, type OrderMapping } from './order-mapping';
import { readDemographics, readPatientId } from './order-patient';
import { atFirst, err, indexSegments, newFindings, pick, warning, type Findings, type Loc, type OrderSegments, type SegRef } from './order-reading';
import { readSlides } from './order-slides';
import { readCollectionDate, readSpecimenId, readSpecimens, specimenSegmentsCarried, specimenSources } from './order-specimen';
import { readStructure, type OrderStructure } from './order-structure';

export { DEFAULT_ORDER_MAPPING, type FieldRef, type OrderMapping } from './order-mapping';
export { readMessageHeader, type MessageHeader } from './order-header';
export type { OrderGroup } from './order-common';

/** What every parsed order says besides its case. */
interface ParsedOrderHeader {
  messageControlId: string;
  /** MSH-9 as type^trigger, e.g. ORM^O01. */
  messageType: string;
  version: string;
  accessionNumber: string;
  /** ORC-1 of the first ORC: NW new, XO change, CA cancel, ... */
  orderControl: string;
  /** Every ORC (its ORC-1, ORC-2, ORC-3), for the order response's order-control echo. */
  orderGroups: OrderGroup[];
  /** Non-fatal findings (ignored Z-segments, self-pay default, specimens removed): severity W or I. */
  warnings: Hl7Error[];
  /**
   * Where each value was read: case paths (`accessionNumber`, `patientId`, `specimens.0.primaryCpt`,
   * `slides.2.barcode`, ...) -> HL7 location, so a later refusal can name the segment and field.
   */
  locations: Record<string, Hl7Location>;
}

/**
 * An order the case store can apply. `upsert`: `case` holds the specimens of the creating or
 * changing ORCs (NW, XO, ...); `cancelledSpecimenIds` those of cancelling ORCs among them. Whether
 * that is the whole case or a part to merge into it is the receiver's choice (merge mode).
 * `cancel`: every ORC cancels; `specimenIds` are the specimens its OBR/SPM segments name (maybe none);
 * `patientId` is PID-3 when the message had one.
 */
export type ParsedOrder =
  | (ParsedOrderHeader & { action: 'upsert'; case: CaseDetails; cancelledSpecimenIds: string[] })
  | (ParsedOrderHeader & { action: 'cancel'; cancelReason: string; specimenIds: string[]; patientId?: string });

export type ParseOrderResult =
  | { ok: true; order: ParsedOrder }
  | {
      ok: false;
      /** AR: the message as a whole was rejected (type, version, structure); AE: its content is wrong. */
      ackCode: Exclude<AckCode, 'AA'>;
      errors: Hl7Error[];
      /** MSH-10, when it could be read, so the caller can acknowledge it. */
      messageControlId?: string;
    };

/** The message as a whole: only for problems with no field to name (unreadable text, an internal error, an issue no value's location explains). */
const MSH_WHOLE: Loc = { segment: 'MSH', sequence: 1, field: 0 };

/**
 * Parses an ORM^O01 or OML^O21 (v2.3 to v2.5.1) into a case change. Never throws: malformed input
 * yields errors with HL7 locations and the ACK code to answer with.
 *
 * ORC-1 decides the action: upsert codes (NW, XO, XX, XR) carry specimens; when every ORC is a
 * cancel code (CA, OC, CR) only the accession number (ORC-3 / OBR-3) is needed; any other table 0119
 * value is refused with AR (ERR at ORC-1). Each segment group has its reader (order-*.ts).
 */
export function parseOrder(text: string, mapping: OrderMapping = DEFAULT_ORDER_MAPPING, limits: FieldLimits = DEFAULT_FIELD_LIMITS): ParseOrderResult {
  const parsed = parseMessage(text);
  if (!parsed.ok) return { ok: false, ackCode: 'AR', errors: [err(MSH_WHOLE, '100', parsed.reason)] };
  try {
    return checkFields(parsed.message, limits) ?? interpret(parsed.message, mapping);
  } catch (e: unknown) {
    // Defensive: a mapping or library surprise must still become an answer, not a crash.
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, ackCode: 'AR', errors: [err(MSH_WHOLE, '207', `could not interpret the message: ${why}`)] };
  }
}

/**
 * Fields over their length or holding control characters: refused before anything reads them, so no
 * such value reaches an ERR text, a column or a case. In MSH (the sender, MSH-10, the type): AR, the
 * message as a whole is refused; elsewhere AE. Both are final (code 102): resending the same bytes
 * gets the same answer. MSA-2 / messageControlId only when MSH-10 itself is fine.
 */
function checkFields(msg: Hl7Message, limits: FieldLimits): ParseOrderResult | undefined {
  const errors = checkFieldLimits(msg, limits);
  if (!errors.length) return undefined;
  const inHeader = errors.some((e) => e.segment === 'MSH' && e.field > 0);
  const controlIdRefused = errors.some((e) => e.segment === 'MSH' && e.field === 10);
  const controlId = controlIdRefused ? '' : readValue(msg.getSegment('MSH'), 10);
  return { ok: false, ackCode: inHeader ? 'AR' : 'AE', errors, ...(controlId ? { messageControlId: controlId } : {}) };
}

/** The state of one interpretation, passed between the steps. */
interface Reading {
  m: OrderMapping;
  f: Findings;
  segments: OrderSegments;
  structure: OrderStructure;
  header: OrderHeader;
  controls: string[];
  accessionNumber: string;
  orderGroups: OrderGroup[];
}

function refused(ackCode: 'AE' | 'AR', errors: Hl7Error[], controlId: string): ParseOrderResult {
  return { ok: false, ackCode, errors, ...(controlId ? { messageControlId: controlId } : {}) };
}

function interpret(msg: Hl7Message, m: OrderMapping): ParseOrderResult {
  const segments = indexSegments(msg);
  const msh = segments.all('MSH')[0];
  if (!msh) throw new Error('no MSH segment');
  const header = readOrderHeader(msh);
  const rejection = checkOrderHeader(msh, header, m);
  if (rejection.length) return refused('AR', rejection, header.controlId);

  const f = newFindings();
  noteZSegments(segments, f);
  const structure = readStructure(segments, m);
  const controls = readOrderControls(structure.orcs, m, f);
  if (!controls.ok) return refused('AR', [controls.refusal], header.controlId);
  const accessionNumber = readAccession(structure.orcs, structure.obrs, f);
  const r: Reading = { m, f, segments, structure, header, controls: controls.controls, accessionNumber, orderGroups: readOrderGroups(structure.orcs) };
  const isCancel = (code: string) => m.cancelOrderControls.includes(code);
  const allCancel = r.controls.length > 0 && r.controls.every(isCancel);
  return allCancel ? interpretCancel(r) : interpretUpsert(r);
}

function noteZSegments(segments: OrderSegments, f: Findings): void {
  for (const { name, ref } of segments.list) {
    if (/^Z[A-Z0-9]{2}$/.test(name)) f.warnings.push(warning({ segment: name, sequence: ref.sequence, field: 0 }, `Z-segment ${name} ignored`, 'I'));
  }
}

function baseOf(r: Reading): ParsedOrderHeader {
  return {
    messageControlId: r.header.controlId,
    messageType: `${r.header.type}^${r.header.trigger}`,
    version: r.header.version,
    accessionNumber: r.accessionNumber,
    orderControl: r.controls[0] ?? '',
    orderGroups: r.orderGroups,
    warnings: r.f.warnings,
    locations: Object.fromEntries(r.f.locs),
  };
}

/** A cancel needs the accession number only; PID-3, when sent, lets the receiver check the patient. */
function interpretCancel(r: Reading): ParseOrderResult {
  const pid = r.segments.all('PID')[0];
  const patient = pid ? readPatientId(pid, r.m) : undefined;
  if (patient?.value) r.f.locs.set('patientId', patient.loc);
  if (r.f.errors.length) return refused('AE', r.f.errors, r.header.controlId);
  const orc1 = r.structure.orcs[0];
  const why = orc1 ? pick(r.m.cancelReason, { ORC: orc1 }) : undefined;
  const control = r.controls[0] ?? '';
  const cancelReason = `cancelled by the LIS (ORC-1 ${control}, message ${r.header.controlId})${why ? `: ${why.value}` : ''}`.slice(0, 500);
  const specimenIds = specimenSources(r.structure).map((s) => readSpecimenId(s, r.m).value);
  const order = { ...baseOf(r), action: 'cancel' as const, cancelReason, specimenIds, ...(patient?.value ? { patientId: patient.value } : {}) };
  return { ok: true, order };
}

function readPatientGroup(r: Reading, candidate: Record<string, unknown>): void {
  const pid = r.segments.all('PID')[0];
  r.f.locs.set('patientId', atFirst('PID', 3));
  if (!pid) {
    r.f.errors.push(err(atFirst('PID', 3), '100', 'the order has no PID segment (PID-3 patient id is required)'));
    return;
  }
  const id = readPatientId(pid, r.m);
  candidate['patientId'] = id.value;
  r.f.locs.set('patientId', id.loc);
  const demographics = readDemographics(pid, id.repetition);
  if (Object.keys(demographics.patient).length) candidate['patient'] = demographics.patient;
  for (const [path, loc] of demographics.locs) r.f.locs.set(path, loc);
}

function interpretUpsert(r: Reading): ParseOrderResult {
  const { m, f, structure: s } = r;
  const candidate: Record<string, unknown> = {};
  readPatientGroup(r, candidate);
  candidate['payer'] = readPayer(r.segments.all('IN1')[0], m, f);
  Object.assign(candidate, readOrderingProvider(s.orcs[0], s.obrs[0], f));
  candidate['diagnoses'] = readDiagnoses(r.segments.all('DG1'), f);
  const cancellingOrc = (obr: SegRef | undefined) => {
    const orc = obr ? s.orcOf.get(obr) : s.orcs[0];
    return orc !== undefined && m.cancelOrderControls.includes(r.controls[orc.sequence - 1] ?? '') ? orc.sequence : undefined;
  };
  const specimens = readSpecimens(s, cancellingOrc, m, f, specimenSegmentsCarried(r.header.type));
  candidate['specimens'] = specimens.specimens;
  candidate['slides'] = readSlides(s, r.segments.all(m.slideSegment), specimens, m, f);
  const collectionDate = readCollectionDate(specimens, m, f);
  if (collectionDate !== undefined) candidate['collectionDate'] = collectionDate;

  const result = CaseDetails.safeParse(candidate);
  if (!result.success) f.errors.push(...contractErrors(result.error.issues, candidate, f));
  if (f.errors.length || !result.success) return refused('AE', f.errors, r.header.controlId);
  return { ok: true, order: { ...baseOf(r), action: 'upsert', case: result.data, cancelledSpecimenIds: specimens.cancelledSpecimenIds } };
}

interface ContractIssue {
  path: PropertyKey[];
  code: string;
  message: string;
  /** too_big: the largest length allowed. */
  maximum?: unknown;
}

/**
 * Where a contract issue's value was read: its path, else the nearest parent read. A list over its
 * maximum (too many diagnoses, specimens, slides) is named at its first item too many.
 */
function issueLoc(issue: ContractIssue, f: Findings): Loc | undefined {
  const path = issue.path.map(String);
  if (issue.code === 'too_big' && typeof issue.maximum === 'number') path.push(String(issue.maximum));
  for (let n = path.length; n > 0; n--) {
    const loc = f.locs.get(path.slice(0, n).join('.'));
    if (loc) return loc;
  }
  return undefined;
}

/** The contract's issues at the HL7 locations their values came from (skipping places already reported). */
function contractErrors(issues: ContractIssue[], candidate: Record<string, unknown>, f: Findings): Hl7Error[] {
  const out: Hl7Error[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    const l = issueLoc(issue, f) ?? MSH_WHOLE;
    const known = [...f.errors, ...out].some((e) => e.segment === l.segment && e.sequence === l.sequence && e.field === l.field);
    if (known) continue;
    out.push(err(l, zodCode({ ...issue, input: valueAt(candidate, issue.path) }), `${path.join('.') || 'case'}: ${issue.message}`));
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function zodCode(issue: { code: string; input?: unknown; message: string }): Hl7ErrorCode {
  if (issue.code === 'custom' && /twice/.test(issue.message)) return '205';
  if (issue.input === undefined || issue.input === '') return '101';
  if (issue.code === 'too_small' && Array.isArray(issue.input) && issue.input.length === 0) return '101';
  return '102';
}
