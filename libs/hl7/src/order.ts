import { AccessionNumber, CaseDetails } from '@slidecharge/contracts';
import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { hl7DateToIso, parseMessage, readValue, repetitionCount } from './encoding';
import type { AckCode, Hl7Error, Hl7ErrorCode, Hl7Location } from './errors';
import { checkFieldLimits, DEFAULT_FIELD_LIMITS, type FieldLimits } from './field-limits';

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
  /** Units of service of a specimen; 1 when none of these has a positive integer. */
  units: FieldRef[];
  /** Specimen id when specimens come from SPM segments. */
  spmSpecimenId: FieldRef[];
  /** Specimen id when specimens come from OBR segments; when empty, OBR-1 set id 1, 2, 3 -> A, B, C. */
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
  /** Payer id used when the order has no IN1 segment (self-pay / client bill). */
  selfPayPayerId: string;
  /** ORC-1 values accepted (HL7 table 0119); others are refused with AE 103. */
  orderControlCodes: string[];
  /** ORC-1 values that create or change the case: the message then describes the whole case. */
  upsertOrderControls: string[];
  /**
   * ORC-1 values that cancel. When every ORC cancels, the case is cancelled (only the accession
   * number is needed); a cancelling ORC among others removes the specimens of its OBRs.
   */
  cancelOrderControls: string[];
  /** Why the order was cancelled (optional): text of the first ORC's candidates. */
  cancelReason: FieldRef[];
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
  units: [
    { segment: 'OBR', field: 27, component: 1, subcomponent: 1 },
  ],
  spmSpecimenId: [
    { segment: 'SPM', field: 2, component: 1, subcomponent: 1 },
    { segment: 'SPM', field: 2, component: 2, subcomponent: 1 },
  ],
  obrSpecimenId: [],
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
  selfPayPayerId: 'SELF-PAY',
  orderControlCodes: ['NW', 'OK', 'CA', 'CR', 'OC', 'DC', 'DR', 'XO', 'XR', 'XX', 'SC', 'SN', 'RP', 'RO', 'HD', 'HR', 'RL', 'CH', 'PA', 'RE', 'OD', 'OH', 'OR', 'SS', 'UA', 'UC', 'UD', 'UF', 'UH', 'UM', 'UN', 'UR', 'UX'],
  upsertOrderControls: ['NW', 'XO', 'XX', 'XR'],
  cancelOrderControls: ['CA', 'OC', 'CR'],
  cancelReason: [
    { segment: 'ORC', field: 16, component: 2 },
    { segment: 'ORC', field: 16, component: 1 },
  ],
};

/** What every parsed order says besides its case. */
interface ParsedOrderHeader {
  messageControlId: string;
  /** MSH-9 as type^trigger, e.g. ORM^O01. */
  messageType: string;
  version: string;
  accessionNumber: string;
  /** ORC-1 of the first ORC: NW new, XO change, CA cancel, ... */
  orderControl: string;
  /** Non-fatal findings (ignored Z-segments, self-pay default, specimens removed): severity W or I. */
  warnings: Hl7Error[];
  /**
   * Where each value was read: case paths (`accessionNumber`, `patientId`, `specimens.0.primaryCpt`,
   * `slides.2.barcode`, ...) -> HL7 location, so a later refusal can name the segment and field.
   */
  locations: Record<string, Hl7Location>;
}

/**
 * An order the case store can apply. `upsert`: create the case or replace its details with `case`
 * (the whole case). `cancel`: cancel the case; `patientId` is PID-3 when the message had one.
 */
export type ParsedOrder =
  | (ParsedOrderHeader & { action: 'upsert'; case: CaseDetails })
  | (ParsedOrderHeader & { action: 'cancel'; cancelReason: string; patientId?: string });

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

type Loc = Hl7Location;
interface SegRef {
  seg: Hl7Segment;
  sequence: number;
}

function err(loc: Loc, code: Hl7ErrorCode, message: string): Hl7Error {
  return { ...loc, code, message };
}

function indexSegments(msg: Hl7Message): { list: { name: string; ref: SegRef }[]; byName: Map<string, SegRef[]> } {
  const byName = new Map<string, SegRef[]>();
  const list = msg.segments.map((seg) => {
    const refs = byName.get(seg.name) ?? [];
    const ref = { seg, sequence: refs.length + 1 };
    refs.push(ref);
    byName.set(seg.name, refs);
    return { name: seg.name, ref };
  });
  return { list, byName };
}

/** Reads the first matching candidate among the segments given by name. */
function pick(refs: FieldRef[], segs: Record<string, SegRef | undefined>): { value: string; loc: Loc } | undefined {
  for (const r of refs) {
    const s = segs[r.segment];
    if (!s) continue;
    const value = readValue(s.seg, r.field, r.component ?? 1, r.subcomponent ?? 1);
    if (!value) continue;
    if (r.pattern && !new RegExp(r.pattern).test(value)) continue;
    return { value, loc: { segment: r.segment, sequence: s.sequence, field: r.field, component: r.component } };
  }
  return undefined;
}

/** Every non-empty repetition of the first candidate that has one. */
function pickAll(refs: FieldRef[], segs: Record<string, SegRef | undefined>): { value: string; loc: Loc }[] {
  for (const r of refs) {
    const s = segs[r.segment];
    if (!s) continue;
    const found: { value: string; loc: Loc }[] = [];
    const reps = repetitionCount(s.seg, r.field);
    for (let i = 0; i < reps; i++) {
      const value = readValue(s.seg, r.field, r.component ?? 1, r.subcomponent ?? 1, i);
      if (!value || (r.pattern && !new RegExp(r.pattern).test(value))) continue;
      found.push({ value, loc: { segment: r.segment, sequence: s.sequence, field: r.field, repetition: i + 1 } });
    }
    if (found.length) return found;
  }
  return [];
}

function firstLoc(refs: FieldRef[], segs: Record<string, SegRef | undefined>): Loc | undefined {
  for (const r of refs) {
    const s = segs[r.segment];
    if (s) return { segment: r.segment, sequence: s.sequence, field: r.field };
  }
  return undefined;
}

function normalizeIcd10(code: string): string {
  const c = code.trim().toUpperCase();
  return /^[A-Z]\d[0-9A-Z][0-9A-Z]{1,4}$/.test(c) ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
}

function letterFor(n: number): string {
  return n >= 1 && n <= 26 ? String.fromCharCode(64 + n) : String(n);
}

/** What the message header says, read as far as it can be; empty strings where it cannot. */
export interface MessageHeader {
  /** MSH-3 and MSH-4 as sent (all components), the sender's identity for MSH-10 idempotency. */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7 as sent. */
  dateTime: string;
  /** MSH-9 type^trigger, e.g. ORM^O01. */
  messageType: string;
  /** MSH-10 message control id. */
  controlId: string;
  /** MSH-11 processing id (P, T, D). */
  processingId: string;
  /** MSH-12 version id. */
  version: string;
  /** ORC-1 of the first ORC. */
  orderControl: string;
  /** First non-empty ORC-3.1 or OBR-3.1 (filler order number), unchecked. */
  accessionNumber: string;
}

/**
 * Reads the header fields of any HL7 v2 text (for storing and routing a message before, or instead
 * of, parsing it as an order). Never throws; `undefined` when the text has no MSH segment.
 */
export function readMessageHeader(text: string): MessageHeader | undefined {
  const parsed = parseMessage(text);
  if (!parsed.ok) return undefined;
  try {
    const msg = parsed.message;
    const msh = msg.getSegment('MSH');
    const whole = (field: number) => msh?.getField(field)?.toString().trim() ?? '';
    const type = readValue(msh, 9, 1);
    const trigger = readValue(msh, 9, 2);
    let accessionNumber = '';
    for (const seg of msg.segments) {
      if ((seg.name === 'ORC' || seg.name === 'OBR') && !accessionNumber) accessionNumber = readValue(seg, 3, 1);
    }
    return {
      sendingApplication: whole(3),
      sendingFacility: whole(4),
      receivingApplication: whole(5),
      receivingFacility: whole(6),
      dateTime: readValue(msh, 7, 1),
      messageType: trigger ? `${type}^${trigger}` : type,
      controlId: readValue(msh, 10),
      processingId: readValue(msh, 11, 1),
      version: readValue(msh, 12, 1),
      orderControl: readValue(msg.getSegment('ORC'), 1).toUpperCase(),
      accessionNumber,
    };
  } catch {
    return undefined;
  }
}

/**
 * Parses an ORM^O01 or OML^O21 (v2.3 to v2.5.1) into a case change. Never throws: malformed input
 * yields errors with HL7 locations and the ACK code to answer with.
 *
 * ORC-1 decides the action: upsert codes (NW, XO, XX, XR) carry the whole case; when every ORC is a
 * cancel code (CA, OC, CR) only the accession number (ORC-3 / OBR-3) is needed; any other table 0119
 * value is refused with AR (ERR at ORC-1).
 */
export function parseOrder(text: string, mapping: OrderMapping = DEFAULT_ORDER_MAPPING, limits: FieldLimits = DEFAULT_FIELD_LIMITS): ParseOrderResult {
  let parsed: ReturnType<typeof parseMessage>;
  try {
    parsed = parseMessage(text);
  } catch {
    parsed = { ok: false, reason: 'unreadable message' };
  }
  if (!parsed.ok) {
    return { ok: false, ackCode: 'AR', errors: [err({ segment: 'MSH', sequence: 1, field: 0 }, '100', parsed.reason)] };
  }
  try {
    return checkFields(parsed.message, limits) ?? interpret(parsed.message, mapping);
  } catch (e: unknown) {
    // Defensive: a mapping or library surprise must still become an answer, not a crash.
    return {
      ok: false,
      ackCode: 'AR',
      errors: [err({ segment: 'MSH', sequence: 1, field: 0 }, '207', `could not interpret the message: ${e instanceof Error ? e.message : String(e)}`)],
    };
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

function interpret(msg: Hl7Message, m: OrderMapping): ParseOrderResult {
  const { list, byName } = indexSegments(msg);
  const msh = byName.get('MSH')?.[0];
  if (!msh) throw new Error('no MSH segment');
  const controlId = readValue(msh.seg, 10);
  const type = readValue(msh.seg, 9, 1).toUpperCase();
  const trigger = readValue(msh.seg, 9, 2).toUpperCase();
  const version = readValue(msh.seg, 12, 1);
  const header = controlId ? { messageControlId: controlId } : {};

  // Message-level checks: answered with AR.
  const reject: Hl7Error[] = [];
  if (!controlId) reject.push(err({ segment: 'MSH', sequence: 1, field: 10 }, '101', 'MSH-10 message control id is required'));
  if (!m.messageTypes.some((t) => t.type === type)) {
    reject.push(err({ segment: 'MSH', sequence: 1, field: 9, component: 1 }, '200', `message type ${type || '(empty)'} is not accepted; send ${m.messageTypes.map((t) => `${t.type}^${t.trigger}`).join(' or ')}`));
  } else if (!m.messageTypes.some((t) => t.type === type && t.trigger === trigger)) {
    reject.push(err({ segment: 'MSH', sequence: 1, field: 9, component: 2 }, '201', `trigger event ${trigger || '(empty)'} is not accepted for ${type}`));
  }
  if (!m.supportedVersions.includes(version)) {
    reject.push(err({ segment: 'MSH', sequence: 1, field: 12 }, '203', `HL7 version ${version || '(empty)'} is not supported; supported: ${m.supportedVersions.join(', ')}`));
  }
  if (reject.length) return { ok: false, ackCode: 'AR', errors: reject, ...header };

  const errors: Hl7Error[] = [];
  const warnings: Hl7Error[] = [];
  const locs = new Map<string, Loc>();
  for (const { name, ref } of list) {
    if (/^Z[A-Z0-9]{2}$/.test(name)) warnings.push({ ...err({ segment: name, sequence: ref.sequence, field: 0 }, '0', `Z-segment ${name} ignored`), severity: 'I' });
  }

  // Order control: every ORC-1 must be in table 0119; the set of them decides the action.
  const orcs = byName.get('ORC') ?? [];
  const obrs = byName.get('OBR') ?? [];
  const spms = byName.get('SPM') ?? [];
  if (!orcs.length) errors.push(err({ segment: 'ORC', sequence: 0, field: 0 }, '100', 'the order has no ORC segment'));
  const controls = orcs.map((o) => readValue(o.seg, 1).toUpperCase());
  const handled = [...m.upsertOrderControls, ...m.cancelOrderControls];
  for (const [i, code] of controls.entries()) {
    const loc = { segment: 'ORC', sequence: i + 1, field: 1 };
    if (!code) errors.push(err(loc, '101', `ORC-1 order control is required`));
    else if (!m.orderControlCodes.includes(code)) errors.push(err(loc, '103', `ORC-1 order control ${code} is not in HL7 table 0119`));
    else if (!handled.includes(code)) {
      return {
        ok: false,
        ackCode: 'AR',
        errors: [
          err(loc, '201', `ORC-1 order control ${code} is not acted upon; send ${m.upsertOrderControls.join('/')} to create or change a case, ${m.cancelOrderControls.join('/')} to cancel it`),
        ],
        ...header,
      };
    }
  }
  const orderControl = controls[0] ?? '';
  const isCancel = (code: string) => m.cancelOrderControls.includes(code);
  const action: 'upsert' | 'cancel' = controls.length > 0 && controls.every(isCancel) ? 'cancel' : 'upsert';

  // Accession = filler order number, in every ORC-3 and OBR-3 that has one.
  const fillers: { value: string; loc: Loc }[] = [];
  for (const [name, refs] of [['ORC', orcs], ['OBR', obrs]] as const) {
    for (const r of refs) {
      const v = readValue(r.seg, 3, 1);
      if (v) fillers.push({ value: v, loc: { segment: name, sequence: r.sequence, field: 3 } });
    }
  }
  let accessionNumber = '';
  const firstFiller = fillers[0];
  if (!firstFiller) {
    errors.push(err({ segment: 'ORC', sequence: orcs.length ? 1 : 0, field: 3 }, '101', 'filler order number (accession) is required in ORC-3 or OBR-3'));
    errors.push(err({ segment: 'OBR', sequence: obrs.length ? 1 : 0, field: 3 }, '101', 'filler order number (accession) is required in ORC-3 or OBR-3'));
  } else {
    accessionNumber = firstFiller.value;
    locs.set('accessionNumber', firstFiller.loc);
    const valid = AccessionNumber.safeParse(accessionNumber);
    if (!valid.success) errors.push(err(firstFiller.loc, '102', `accession ${accessionNumber}: ${valid.error.issues[0]?.message ?? 'invalid'}`));
    for (const f of fillers.slice(1)) {
      if (f.value !== accessionNumber) errors.push(err(f.loc, '102', `filler order number ${f.value} differs from ${accessionNumber}; one message carries one case`));
    }
  }

  const candidate: Record<string, unknown> = {};
  const pid = byName.get('PID')?.[0];
  const patient = pid ? readPatient(pid, m) : undefined;
  const base = (): ParsedOrderHeader => ({
    messageControlId: controlId,
    messageType: `${type}^${trigger}`,
    version,
    accessionNumber,
    orderControl,
    warnings,
    locations: Object.fromEntries(locs),
  });

  if (action === 'cancel') {
    // A cancel needs the accession number only; PID-3, when sent, lets the receiver check the patient.
    if (patient?.value) locs.set('patientId', patient.loc);
    if (errors.length) return { ok: false, ackCode: 'AE', errors, ...header };
    const orc1 = orcs[0];
    const why = orc1 ? pick(m.cancelReason, { ORC: orc1 }) : undefined;
    const cancelReason = `cancelled by the LIS (ORC-1 ${orderControl}, message ${controlId})${why ? `: ${why.value}` : ''}`.slice(0, 500);
    return { ok: true, order: { ...base(), action: 'cancel', cancelReason, ...(patient?.value ? { patientId: patient.value } : {}) } };
  }

  // Patient.
  locs.set('patientId', { segment: 'PID', sequence: pid ? 1 : 0, field: 3 });
  if (!pid) errors.push(err({ segment: 'PID', sequence: 0, field: 0 }, '100', 'the order has no PID segment'));
  else if (patient) {
    candidate['patientId'] = patient.value;
    locs.set('patientId', patient.loc);
  }

  // Payer: first IN1, or self-pay when the optional IN1 is absent.
  const in1 = byName.get('IN1')?.[0];
  if (in1) {
    const payer: Record<string, string> = { payerId: readValue(in1.seg, 3, 1) };
    const name = readValue(in1.seg, 4, 1);
    const plan = readValue(in1.seg, 2, 2) || readValue(in1.seg, 2, 1);
    if (name) payer['name'] = name;
    if (plan) payer['plan'] = plan;
    candidate['payer'] = payer;
    locs.set('payer', { segment: 'IN1', sequence: 1, field: 3 });
    locs.set('payer.payerId', { segment: 'IN1', sequence: 1, field: 3 });
    locs.set('payer.name', { segment: 'IN1', sequence: 1, field: 4 });
    locs.set('payer.plan', { segment: 'IN1', sequence: 1, field: 2 });
  } else {
    candidate['payer'] = { payerId: m.selfPayPayerId };
    warnings.push({ ...err({ segment: 'IN1', sequence: 0, field: 0 }, '0', `no IN1 segment: payer set to ${m.selfPayPayerId}`), severity: 'W' });
  }

  // Ordering provider: ORC-12, else OBR-16 (XCN: id^family^given).
  for (const [name, ref, field] of [['ORC', orcs[0], 12], ['OBR', obrs[0], 16]] as const) {
    if (!ref || candidate['orderingProvider']) continue;
    const id = readValue(ref.seg, field, 1);
    const fullName = [readValue(ref.seg, field, 2), readValue(ref.seg, field, 3)].filter(Boolean).join(', ');
    const value = id && fullName ? `${id} ${fullName}` : id || fullName;
    if (value) {
      candidate['orderingProvider'] = value;
      locs.set('orderingProvider', { segment: name, sequence: ref.sequence, field });
    }
  }

  // Diagnoses: every repetition of DG1-3 in every DG1.
  const diagnoses: string[] = [];
  for (const dg1 of byName.get('DG1') ?? []) {
    const reps = repetitionCount(dg1.seg, 3);
    for (let i = 0; i < reps; i++) {
      const code = normalizeIcd10(readValue(dg1.seg, 3, 1, 1, i));
      if (!code || diagnoses.includes(code)) continue;
      locs.set(`diagnoses.${diagnoses.length}`, { segment: 'DG1', sequence: dg1.sequence, field: 3, repetition: i + 1 });
      diagnoses.push(code);
    }
  }
  candidate['diagnoses'] = diagnoses;

  // Which ORC governs each OBR (the nearest one before it), which OBR each SPM, and which specimen
  // each slide segment: one walk over the segments in order.
  const fromSpm = spms.length > 0;
  const governingOrc = new Map<SegRef, SegRef | undefined>();
  const governingObr = new Map<SegRef, SegRef | undefined>();
  const slideOwner = new Map<SegRef, SegRef | undefined>();
  {
    let orc: SegRef | undefined;
    let obr: SegRef | undefined;
    let specimen: SegRef | undefined;
    for (const { name, ref } of list) {
      if (name === 'ORC') orc = ref;
      else if (name === 'OBR') {
        obr = ref;
        governingOrc.set(ref, orc ?? orcs[0]);
        specimen = fromSpm ? undefined : ref;
      } else if (name === 'SPM') {
        governingObr.set(ref, obr ?? obrs[0]);
        specimen = ref;
      } else if (name === m.slideSegment) slideOwner.set(ref, specimen);
    }
  }
  const cancelledObr = (obr: SegRef | undefined) => {
    const orc = obr ? governingOrc.get(obr) : orcs[0];
    return orc !== undefined && isCancel(controls[orc.sequence - 1] ?? '');
  };

  // Specimens: from SPM (each governed by the nearest OBR before it), else one per OBR. Those under
  // a cancelling ORC are left out of the case.
  const specimens: Record<string, unknown>[] = [];
  const specimenOf = new Map<SegRef, number>();
  let collection: { value: string; loc: Loc } | undefined;
  const sources: { segs: Record<string, SegRef | undefined>; own: SegRef; ownName: 'SPM' | 'OBR' }[] = fromSpm
    ? spms.map((s) => ({ segs: { SPM: s, OBR: governingObr.get(s) }, own: s, ownName: 'SPM' as const }))
    : obrs.map((o) => ({ segs: { OBR: o }, own: o, ownName: 'OBR' as const }));
  for (const { segs, own, ownName } of sources) {
    if (cancelledObr(segs['OBR'])) {
      const orcSeq = segs['OBR'] ? governingOrc.get(segs['OBR'])?.sequence : 1;
      warnings.push({ ...err({ segment: ownName, sequence: own.sequence, field: 0 }, '0', `${ownName} ${own.sequence} left out: its order is cancelled (ORC ${orcSeq ?? 1})`), severity: 'I' });
      continue;
    }
    const i = specimens.length;
    specimenOf.set(own, i);
    const prefix = `specimens.${i}`;
    const spec: Record<string, unknown> = {};
    locs.set(prefix, { segment: ownName, sequence: own.sequence, field: 0 });
    if (ownName === 'SPM') {
      const id = pick(m.spmSpecimenId, segs);
      spec['specimenId'] = id?.value ?? '';
      locs.set(`${prefix}.specimenId`, id?.loc ?? { segment: 'SPM', sequence: own.sequence, field: 2 });
    } else {
      const id = pick(m.obrSpecimenId, segs);
      const setId = Number.parseInt(readValue(own.seg, 1), 10);
      spec['specimenId'] = id?.value ?? letterFor(Number.isFinite(setId) && setId > 0 ? setId : own.sequence);
      locs.set(`${prefix}.specimenId`, id?.loc ?? { segment: 'OBR', sequence: own.sequence, field: 1 });
    }
    const description = pick(m.specimenDescription, segs);
    if (description) {
      spec['description'] = description.value;
      locs.set(`${prefix}.description`, description.loc);
    }
    const code = pick(m.procedureCode, segs);
    spec['primaryCpt'] = code?.value ?? '';
    const codeLoc = code?.loc ?? firstLoc(m.procedureCode, segs) ?? { segment: ownName, sequence: own.sequence, field: 0 };
    locs.set(`${prefix}.primaryCpt`, codeLoc);
    if (!code) {
      errors.push(err(codeLoc, '101', `specimen ${String(spec['specimenId'])} has no primary procedure code (looked in ${m.procedureCode.map((r) => `${r.segment}-${r.field}`).join(', ')})`));
    }
    const modifiers = pickAll(m.modifiers, segs);
    if (modifiers.length) {
      spec['modifiers'] = modifiers.map((x) => x.value.toUpperCase());
      const first = modifiers[0]?.loc ?? codeLoc;
      locs.set(`${prefix}.modifiers`, { segment: first.segment, sequence: first.sequence, field: first.field });
      modifiers.forEach((x, j) => locs.set(`${prefix}.modifiers.${j}`, x.loc));
    }
    const units = pick(m.units, segs);
    const n = units && /^\d+$/.test(units.value) ? Number.parseInt(units.value, 10) : units ? Number.NaN : 1;
    spec['units'] = n;
    if (units) locs.set(`${prefix}.units`, units.loc);
    specimens.push(spec);
    if (!collection) collection = pick(m.collectionDate, segs);
  }
  candidate['specimens'] = specimens;
  if (!sources.length) {
    errors.push(err({ segment: 'OBR', sequence: 0, field: 0 }, '100', 'the order has no specimens (no SPM and no OBR segment)'));
  }

  // Slides: one per slide segment, belonging to the specimen segment before it.
  const slides: Record<string, unknown>[] = [];
  for (const sac of byName.get(m.slideSegment) ?? []) {
    const owner = slideOwner.get(sac);
    const ownerName = owner && spms.includes(owner) ? 'SPM' : 'OBR';
    if (!owner) {
      errors.push(err({ segment: m.slideSegment, sequence: sac.sequence, field: 0 }, '100', `${m.slideSegment} ${sac.sequence} (a slide) must follow the ${fromSpm ? 'SPM' : 'OBR'} of its specimen`));
      continue;
    }
    const specimenIndex = specimenOf.get(owner);
    if (specimenIndex === undefined) continue; // its specimen's order is cancelled
    const i = slides.length;
    const segs = { [m.slideSegment]: sac, [ownerName]: owner };
    const barcode = pick(m.slideBarcode, segs);
    const slide: Record<string, unknown> = {
      barcode: barcode?.value ?? '',
      specimenId: (specimens[specimenIndex] as { specimenId: string }).specimenId,
    };
    locs.set(`slides.${i}`, { segment: m.slideSegment, sequence: sac.sequence, field: 0 });
    locs.set(`slides.${i}.barcode`, barcode?.loc ?? firstLoc(m.slideBarcode, segs) ?? { segment: m.slideSegment, sequence: sac.sequence, field: 0 });
    locs.set(`slides.${i}.specimenId`, locs.get(`specimens.${specimenIndex}.specimenId`) ?? { segment: ownerName, sequence: owner.sequence, field: 0 });
    const block = pick(m.slideBlock, segs);
    if (block) {
      slide['block'] = block.value;
      locs.set(`slides.${i}.block`, block.loc);
    }
    const stain = pick(m.slideStain, segs);
    if (stain) {
      slide['stain'] = stain.value;
      locs.set(`slides.${i}.stain`, stain.loc);
    }
    slides.push(slide);
  }
  candidate['slides'] = slides;

  // Collection date.
  if (collection) {
    const iso = hl7DateToIso(collection.value);
    locs.set('collectionDate', collection.loc);
    if (!iso) errors.push(err(collection.loc, '102', `collection date ${collection.value} is not an HL7 date (YYYYMMDD[HHMM[SS]])`));
    candidate['collectionDate'] = iso ?? collection.value;
  } else if (sources[0]) {
    const first = sources[0];
    const loc = firstLoc(m.collectionDate, first.segs) ?? { segment: first.ownName, sequence: first.own.sequence, field: 0 };
    errors.push(err(loc, '101', `collection date is required (${m.collectionDate.map((r) => `${r.segment}-${r.field}`).join(' or ')})`));
  }

  // Validate against the contract and map its issues back to HL7 locations.
  const result = CaseDetails.safeParse(candidate);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      let loc: Loc | undefined;
      for (let n = path.length; n > 0 && !loc; n--) loc = locs.get(path.slice(0, n).join('.'));
      const l = loc ?? { segment: 'MSH', sequence: 1, field: 0 };
      // Skip issues already reported with a clearer message at the same place.
      if (errors.some((e) => e.segment === l.segment && e.sequence === l.sequence && e.field === l.field)) continue;
      errors.push(err(l, zodCode({ ...issue, input: valueAt(candidate, issue.path) }), `${path.join('.') || 'case'}: ${issue.message}`));
    }
  }
  if (errors.length || !result.success) {
    return { ok: false, ackCode: 'AE', errors, ...header };
  }
  return { ok: true, order: { ...base(), action: 'upsert', case: result.data } };
}

/** PID-3 of the repetition whose CX-5 is a medical-record type, else the first; PID-2 as last resort. */
function readPatient(pid: SegRef, m: OrderMapping): { value: string; loc: Loc } {
  const reps = Math.max(1, repetitionCount(pid.seg, 3));
  let chosen = -1;
  for (let i = 0; i < reps && chosen < 0; i++) {
    if (readValue(pid.seg, 3, 1, 1, i) && m.patientIdentifierTypes.includes(readValue(pid.seg, 3, 5, 1, i).toUpperCase())) chosen = i;
  }
  for (let i = 0; i < reps && chosen < 0; i++) if (readValue(pid.seg, 3, 1, 1, i)) chosen = i;
  if (chosen >= 0) return { value: readValue(pid.seg, 3, 1, 1, chosen), loc: { segment: 'PID', sequence: 1, field: 3, repetition: chosen + 1 } };
  const pid2 = readValue(pid.seg, 2, 1);
  return { value: pid2, loc: { segment: 'PID', sequence: 1, field: pid2 ? 2 : 3 } };
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
