import { AccessionNumber, CaseDetails } from '@slidecharge/contracts';
import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { hl7DateToIso, parseMessage, readValue, repetitionCount } from './encoding';
import type { AckCode, Hl7Error, Hl7ErrorCode } from './errors';

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
  /** Payer id used when the order has no IN1 segment (self-pay / client bill). */
  selfPayPayerId: string;
  /** ORC-1 values accepted (HL7 table 0119). */
  orderControlCodes: string[];
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
  selfPayPayerId: 'SELF-PAY',
  orderControlCodes: ['NW', 'OK', 'CA', 'CR', 'OC', 'DC', 'DR', 'XO', 'XR', 'XX', 'SC', 'SN', 'RP', 'RO', 'HD', 'HR', 'RL', 'CH', 'PA', 'RE', 'OD', 'OH', 'OR', 'SS', 'UA', 'UC', 'UD', 'UF', 'UH', 'UM', 'UN', 'UR', 'UX'],
};

export interface ParsedOrder {
  messageControlId: string;
  /** MSH-9 as type^trigger, e.g. ORM^O01. */
  messageType: string;
  version: string;
  accessionNumber: string;
  /** ORC-1: NW new, CA cancel, XO change, ... */
  orderControl: string;
  case: CaseDetails;
  /** Non-fatal findings (ignored Z-segments, self-pay default): severity W or I. */
  warnings: Hl7Error[];
}

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

interface Loc {
  segment: string;
  sequence: number;
  field: number;
  component?: number;
  repetition?: number;
}
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

/**
 * Parses an ORM^O01 or OML^O21 (v2.3 to v2.5.1) into a case. Never throws: malformed input yields
 * errors with HL7 locations and the ACK code to answer with.
 */
export function parseOrder(text: string, mapping: OrderMapping = DEFAULT_ORDER_MAPPING): ParseOrderResult {
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
    return interpret(parsed.message, mapping);
  } catch (e: unknown) {
    // Defensive: a mapping or library surprise must still become an answer, not a crash.
    return {
      ok: false,
      ackCode: 'AR',
      errors: [err({ segment: 'MSH', sequence: 1, field: 0 }, '207', `could not interpret the message: ${e instanceof Error ? e.message : String(e)}`)],
    };
  }
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
  for (const { name, ref } of list) {
    if (name.startsWith('Z')) warnings.push({ ...err({ segment: name, sequence: ref.sequence, field: 0 }, '0', `Z-segment ${name} ignored`), severity: 'I' });
  }

  // Order control and accession (filler order number).
  const orcs = byName.get('ORC') ?? [];
  const obrs = byName.get('OBR') ?? [];
  const spms = byName.get('SPM') ?? [];
  if (!orcs.length) errors.push(err({ segment: 'ORC', sequence: 0, field: 0 }, '100', 'the order has no ORC segment'));
  const orderControl = readValue(orcs[0]?.seg, 1).toUpperCase();
  if (orcs.length && !orderControl) errors.push(err({ segment: 'ORC', sequence: 1, field: 1 }, '101', 'ORC-1 order control is required'));
  else if (orcs.length && !m.orderControlCodes.includes(orderControl)) errors.push(err({ segment: 'ORC', sequence: 1, field: 1 }, '103', `ORC-1 order control ${orderControl} is not in HL7 table 0119`));

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
    const valid = AccessionNumber.safeParse(accessionNumber);
    if (!valid.success) errors.push(err(firstFiller.loc, '102', `accession ${accessionNumber}: ${valid.error.issues[0]?.message ?? 'invalid'}`));
    for (const f of fillers.slice(1)) {
      if (f.value !== accessionNumber) errors.push(err(f.loc, '102', `filler order number ${f.value} differs from ${accessionNumber}; one message carries one case`));
    }
  }

  const locs = new Map<string, Loc>();
  const candidate: Record<string, unknown> = {};

  // Patient.
  const pid = byName.get('PID')?.[0];
  locs.set('patientId', { segment: 'PID', sequence: pid ? 1 : 0, field: 3 });
  if (!pid) errors.push(err({ segment: 'PID', sequence: 0, field: 0 }, '100', 'the order has no PID segment'));
  else {
    const reps = Math.max(1, repetitionCount(pid.seg, 3));
    let chosen = -1;
    for (let i = 0; i < reps && chosen < 0; i++) {
      if (readValue(pid.seg, 3, 1, 1, i) && m.patientIdentifierTypes.includes(readValue(pid.seg, 3, 5, 1, i).toUpperCase())) chosen = i;
    }
    for (let i = 0; i < reps && chosen < 0; i++) if (readValue(pid.seg, 3, 1, 1, i)) chosen = i;
    const patientId = chosen >= 0 ? readValue(pid.seg, 3, 1, 1, chosen) : readValue(pid.seg, 2, 1);
    if (chosen >= 0) locs.set('patientId', { segment: 'PID', sequence: 1, field: 3, repetition: chosen + 1 });
    else if (patientId) locs.set('patientId', { segment: 'PID', sequence: 1, field: 2 });
    candidate['patientId'] = patientId;
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

  // Specimens: from SPM (each governed by the nearest OBR before it), else one per OBR.
  const specimens: Record<string, unknown>[] = [];
  let collection: { value: string; loc: Loc } | undefined;
  const governing = new Map<SegRef, SegRef | undefined>();
  {
    let currentObr: SegRef | undefined;
    for (const { name, ref } of list) {
      if (name === 'OBR') currentObr = ref;
      if (name === 'SPM') governing.set(ref, currentObr ?? obrs[0]);
    }
  }
  const sources: { segs: Record<string, SegRef | undefined>; own: SegRef; ownName: 'SPM' | 'OBR' }[] = spms.length
    ? spms.map((s) => ({ segs: { SPM: s, OBR: governing.get(s) }, own: s, ownName: 'SPM' as const }))
    : obrs.map((o) => ({ segs: { OBR: o }, own: o, ownName: 'OBR' as const }));
  sources.forEach(({ segs, own, ownName }, i) => {
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
    const units = pick(m.units, segs);
    const n = units && /^\d+$/.test(units.value) ? Number.parseInt(units.value, 10) : units ? Number.NaN : 1;
    spec['units'] = n;
    if (units) locs.set(`${prefix}.units`, units.loc);
    specimens.push(spec);
    if (!collection) collection = pick(m.collectionDate, segs);
  });
  candidate['specimens'] = specimens;
  if (!sources.length) {
    errors.push(err({ segment: 'OBR', sequence: 0, field: 0 }, '100', 'the order has no specimens (no SPM and no OBR segment)'));
  }

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
  return {
    ok: true,
    order: { messageControlId: controlId, messageType: `${type}^${trigger}`, version, accessionNumber, orderControl, case: result.data, warnings },
  };
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
