import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { parseMessage, readValue } from './encoding';
import { dataTypeComponents, type DictionaryField, messageStructure, segmentFields, tableValues } from './v251-dictionary';
import { checkSegmentOrder } from './v251-structure';

/**
 * A strict HL7 v2.5.1 check of a message as a receiver that validates against the standard would
 * make it, on hl7-dictionary's v2.5.1 definitions:
 * - segment order against the message structure of MSH-9.3 (e.g. DFT_P03);
 * - every segment defined by v2.5.1, with no more fields than it defines;
 * - required fields (R) present; required components present in a field that is valued;
 * - lengths: each repetition of a field, each component and each subcomponent within what v2.5.1
 *   gives it, counted as sent (separators and escape sequences included, the stricter reading);
 * - repetitions: a field that may not repeat does not;
 * - the format of numeric, date and time values (SI, NM, DT, DTM);
 * - values of HL7-defined code tables (data type ID) where the dictionary has the table;
 * - no field that v2.5.1 keeps only for backward compatibility (B), listed below from the standard
 *   since hl7-dictionary does not carry the B flag.
 */

export type V251Rule = 'parse' | 'version' | 'structure' | 'segment' | 'required' | 'length' | 'repetition' | 'format' | 'table' | 'backward-compatible';

export interface V251Issue {
  rule: V251Rule;
  /** Segment id and its 1-based occurrence; field, repetition (1-based), component, subcomponent when the issue is inside one. */
  segment?: string;
  sequence?: number;
  field?: number;
  repetition?: number;
  component?: number;
  subcomponent?: number;
  message: string;
}

/**
 * Fields HL7 v2.5.1 retains for backward compatibility only (optionality B), in the segments a
 * DFT^P03 carries: a strict receiver refuses them, a sender must not fill them.
 */
export const V251_BACKWARD_COMPATIBLE_FIELDS: Readonly<Record<string, readonly number[]>> = {
  EVN: [1],
  PID: [2, 4, 12, 19, 20],
  FT1: [8, 9],
  DG1: [2, 4, 7, 8, 9, 10, 11, 12, 13, 14],
  PR1: [2, 4],
};

/** Every issue of the message text against v2.5.1; [] when it passes. */
export function validateV251(text: string): V251Issue[] {
  const parsed = parseMessage(text);
  if (!parsed.ok) return [{ rule: 'parse', message: `not an HL7 message: ${parsed.reason}` }];
  return validateV251Message(parsed.message);
}

export function validateV251Message(message: Hl7Message): V251Issue[] {
  const msh = message.getSegment('MSH');
  const issues: V251Issue[] = [];
  const version = readValue(msh, 12);
  if (version !== '2.5.1') issues.push({ rule: 'version', segment: 'MSH', sequence: 1, field: 12, message: `MSH-12 is "${version}", not 2.5.1` });
  issues.push(...structureIssues(message));
  const sequences = new Map<string, number>();
  for (const segment of message.segments) {
    const sequence = (sequences.get(segment.name) ?? 0) + 1;
    sequences.set(segment.name, sequence);
    issues.push(...segmentIssues(segment, sequence));
  }
  return issues;
}

/** One line per issue, for a delivery's lastError or a test failure. */
export function describeV251Issues(issues: readonly V251Issue[]): string {
  return issues.map((i) => `${i.rule}: ${i.message}`).join('; ');
}

function structureIssues(message: Hl7Message): V251Issue[] {
  const msh = message.getSegment('MSH');
  const structureName = readValue(msh, 9, 3) || `${readValue(msh, 9, 1)}_${readValue(msh, 9, 2)}`;
  const structure = messageStructure(structureName);
  if (!structure) return [{ rule: 'structure', segment: 'MSH', sequence: 1, field: 9, message: `v2.5.1 defines no message structure ${structureName}` }];
  const problem = checkSegmentOrder(structureName, structure, message.segments.map((s) => s.name));
  return problem ? [{ rule: 'structure', message: problem.message }] : [];
}

function segmentIssues(segment: Hl7Segment, sequence: number): V251Issue[] {
  const fields = segmentFields(segment.name);
  const at = { segment: segment.name, sequence };
  if (!fields) return [{ rule: 'segment', ...at, message: `v2.5.1 defines no segment ${segment.name}` }];
  const issues: V251Issue[] = [];
  const count = fieldCount(segment);
  if (count > fields.length) issues.push({ rule: 'segment', ...at, message: `${segment.name} has ${count} fields; v2.5.1 defines ${fields.length}` });
  const backward = V251_BACKWARD_COMPATIBLE_FIELDS[segment.name] ?? [];
  // MSH-1 and MSH-2 are the delimiters themselves.
  for (let n = segment.name === 'MSH' ? 3 : 1; n <= fields.length; n++) {
    const def = fields[n - 1] as DictionaryField;
    const repetitions = repetitionsOf(segment, n);
    const name = `${segment.name}-${n} ${def.desc}`;
    const field = { ...at, field: n };
    if (repetitions.length === 0) {
      if (def.opt === 2) issues.push({ rule: 'required', ...field, message: `${name} is required and empty` });
      continue;
    }
    if (backward.includes(n)) issues.push({ rule: 'backward-compatible', ...field, message: `${name} is kept in v2.5.1 for backward compatibility only and must not be sent` });
    if (def.rep === 1 && repetitions.length > 1) issues.push({ rule: 'repetition', ...field, message: `${name} may not repeat; it has ${repetitions.length} repetitions` });
    if (def.rep > 1 && repetitions.length > def.rep) issues.push({ rule: 'repetition', ...field, message: `${name} repeats ${repetitions.length} times; at most ${def.rep}` });
    repetitions.forEach((components, r) => {
      const where = { ...field, ...(repetitions.length > 1 ? { repetition: r + 1 } : {}) };
      issues.push(...valueIssues(def, components, where, name, segment));
    });
  }
  return issues;
}

type Where = Omit<V251Issue, 'rule' | 'message'>;

/** Length, required components and table of one repetition of a field, down to its subcomponents. */
function valueIssues(def: DictionaryField, components: string[], where: Where, name: string, segment: Hl7Segment): V251Issue[] {
  const ctx = segment.context;
  const issues: V251Issue[] = [];
  const whole = components.join(ctx.componentSeparator);
  if (def.len !== undefined && whole.length > def.len) {
    issues.push({ rule: 'length', ...where, message: `${name} is ${whole.length} characters long; v2.5.1 allows ${def.len}` });
  }
  const parts = dataTypeComponents(def.datatype);
  if (!parts) {
    if (components.length > 1) issues.push({ rule: 'length', ...where, message: `${name} has ${components.length} components; its data type ${def.datatype} has none` });
    issues.push(...tableIssues(def, whole, where, name));
    return issues;
  }
  parts.forEach((part, c) => {
    const value = components[c] ?? '';
    const label = `${name}.${c + 1} ${part.desc}`;
    const cw = { ...where, component: c + 1 };
    if (value === '') {
      if (part.opt === 2) issues.push({ rule: 'required', ...cw, message: `${label} is required when ${name} is valued` });
      return;
    }
    issues.push(...componentIssues(part, value, cw, label, ctx.subcomponentSeparator));
  });
  if (components.length > parts.length) {
    issues.push({ rule: 'length', ...where, message: `${name} has ${components.length} components; its data type ${def.datatype} has ${parts.length}` });
  }
  return issues;
}

function componentIssues(part: DictionaryField, value: string, where: Where, label: string, subSeparator: string): V251Issue[] {
  const issues: V251Issue[] = [];
  if (part.len !== undefined && value.length > part.len) {
    issues.push({ rule: 'length', ...where, message: `${label} is ${value.length} characters long; v2.5.1 allows ${part.len}` });
  }
  const subparts = dataTypeComponents(part.datatype);
  if (!subparts) return [...issues, ...tableIssues(part, value, where, label)];
  const subs = value.split(subSeparator);
  subparts.forEach((sub, s) => {
    const v = subs[s] ?? '';
    const sw = { ...where, subcomponent: s + 1 };
    const subLabel = `${label}.${s + 1} ${sub.desc}`;
    if (v === '') {
      if (sub.opt === 2) issues.push({ rule: 'required', ...sw, message: `${subLabel} is required when ${label} is valued` });
      return;
    }
    if (sub.len !== undefined && v.length > sub.len) issues.push({ rule: 'length', ...sw, message: `${subLabel} is ${v.length} characters long; v2.5.1 allows ${sub.len}` });
    issues.push(...tableIssues(sub, v, sw, subLabel));
  });
  return issues;
}

/** How a value of a primitive data type is written (v2.5.1 chapter 2A). */
const PRIMITIVE_FORMATS: Readonly<Record<string, { pattern: RegExp; says: string }>> = {
  SI: { pattern: /^\d+$/, says: 'a non-negative whole number' },
  NM: { pattern: /^[+-]?(\d+(\.\d*)?|\.\d+)$/, says: 'a number' },
  DT: { pattern: /^\d{4}(\d{2}(\d{2})?)?$/, says: 'a date YYYY[MM[DD]]' },
  DTM: { pattern: /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$/, says: 'a date/time YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]' },
};

/** A primitive value not written as its data type says; an ID value (HL7-defined table) not in its table (IS tables are user-defined: not checked). */
function tableIssues(def: DictionaryField, value: string, where: Where, label: string): V251Issue[] {
  const format = PRIMITIVE_FORMATS[def.datatype];
  if (format && !format.pattern.test(value)) return [{ rule: 'format', ...where, message: `${label} "${value}" is not ${format.says} (${def.datatype})` }];
  if (def.datatype !== 'ID' || def.table === undefined) return [];
  const values = tableValues(def.table);
  if (!values || Object.keys(values).length === 0 || value in values) return [];
  return [{ rule: 'table', ...where, message: `${label} "${value}" is not a value of HL7 table ${String(def.table).padStart(4, '0')}` }];
}

/** Number of fields of a segment as HL7 counts them (for MSH, MSH-1 and MSH-2 included). */
function fieldCount(segment: Hl7Segment): number {
  return segment.name === 'MSH' ? segment.fields.length : segment.fields.length - 1;
}

/** The repetitions of a field, each a list of components as sent; [] when the field is empty. */
function repetitionsOf(segment: Hl7Segment, n: number): string[][] {
  const field = segment.getField(n);
  if (!field) return [];
  const reps = field.components.filter((components) => components.some((c) => c !== ''));
  return reps.length === 0 ? [] : field.components;
}
