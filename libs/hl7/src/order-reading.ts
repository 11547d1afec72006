import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { readValue, repetitionCount } from './encoding';
import type { Hl7Error, Hl7ErrorCode, Hl7Location } from './errors';
import type { FieldRef } from './order-mapping';

/**
 * What every segment-group reader of an order shares: the segments indexed, and where findings go
 * (errors refuse the order, warnings ride on the ACK, locations let a later refusal name the field).
 */

export type Loc = Hl7Location;

/** One segment and its 1-based occurrence among segments of its name. */
export interface SegRef {
  seg: Hl7Segment;
  sequence: number;
}

/** A value read and where it was read. */
export interface Found {
  value: string;
  loc: Loc;
}

/** Segments by name for the candidates of a FieldRef list (e.g. { OBR, TQ1 } of one specimen). */
export type SegmentsByName = Record<string, SegRef | undefined>;

export interface OrderSegments {
  list: { name: string; ref: SegRef }[];
  byName: Map<string, SegRef[]>;
  all(name: string): SegRef[];
}

/** Findings of one interpretation: errors, warnings and the case path -> HL7 location index. */
export interface Findings {
  errors: Hl7Error[];
  warnings: Hl7Error[];
  locs: Map<string, Loc>;
}

export function newFindings(): Findings {
  return { errors: [], warnings: [], locs: new Map() };
}

export function err(loc: Loc, code: Hl7ErrorCode, message: string): Hl7Error {
  return { ...loc, code, message };
}

export function warning(loc: Loc, message: string, severity: 'W' | 'I' = 'W'): Hl7Error {
  return { ...loc, code: '0', message, severity };
}

export function indexSegments(msg: Hl7Message): OrderSegments {
  const byName = new Map<string, SegRef[]>();
  const list = msg.segments.map((seg) => {
    const refs = byName.get(seg.name) ?? [];
    const ref = { seg, sequence: refs.length + 1 };
    refs.push(ref);
    byName.set(seg.name, refs);
    return { name: seg.name, ref };
  });
  return { list, byName, all: (name) => byName.get(name) ?? [] };
}

function accepts(r: FieldRef, value: string): boolean {
  return value !== '' && (!r.pattern || new RegExp(r.pattern).test(value));
}

/** Reads the first matching candidate among the segments given by name. */
export function pick(refs: FieldRef[], segs: SegmentsByName): Found | undefined {
  for (const r of refs) {
    const s = segs[r.segment];
    if (!s) continue;
    const value = readValue(s.seg, r.field, r.component ?? 1, r.subcomponent ?? 1);
    if (accepts(r, value)) return { value, loc: { segment: r.segment, sequence: s.sequence, field: r.field, component: r.component } };
  }
  return undefined;
}

/** Every accepted repetition of one candidate. */
function repetitionsOf(r: FieldRef, s: SegRef): Found[] {
  const found: Found[] = [];
  const reps = repetitionCount(s.seg, r.field);
  for (let i = 0; i < reps; i++) {
    const value = readValue(s.seg, r.field, r.component ?? 1, r.subcomponent ?? 1, i);
    if (accepts(r, value)) found.push({ value, loc: { segment: r.segment, sequence: s.sequence, field: r.field, repetition: i + 1 } });
  }
  return found;
}

/** Every non-empty repetition of the first candidate that has one. */
export function pickAll(refs: FieldRef[], segs: SegmentsByName): Found[] {
  for (const r of refs) {
    const s = segs[r.segment];
    const found = s ? repetitionsOf(r, s) : [];
    if (found.length) return found;
  }
  return [];
}

/** Where the first candidate would be (for an error about a missing value). */
export function firstLoc(refs: FieldRef[], segs: SegmentsByName): Loc | undefined {
  for (const r of refs) {
    const s = segs[r.segment];
    if (s) return { segment: r.segment, sequence: s.sequence, field: r.field };
  }
  return undefined;
}

/**
 * A field of the first occurrence of a segment: ERR-2 (ERL) counts occurrences from 1, so a value
 * whose segment the order lacks altogether is named there too (e.g. PID^1^3), not at MSH.
 */
export function atFirst(segment: string, field: number): Loc {
  return { segment, sequence: 1, field };
}

/**
 * Where a missing value belongs: the first candidate whose segment the order has (firstLoc), else
 * the first candidate in a segment the message can carry (`carried`, all by default), in that
 * segment's first occurrence. Undefined for an empty list.
 */
export function missingLoc(refs: FieldRef[], segs: SegmentsByName, carried: (segment: string) => boolean = () => true): Loc | undefined {
  const first = refs.find((ref) => carried(ref.segment)) ?? refs[0];
  return firstLoc(refs, segs) ?? (first ? atFirst(first.segment, first.field) : undefined);
}

/** "OBR-44, OBR-4": the candidates of a mapping entry, for messages. */
export function describeRefs(refs: FieldRef[], separator = ', '): string {
  return refs.map((r) => `${r.segment}-${r.field}`).join(separator);
}
