import { hl7DateToIso, readValue } from './encoding';
import type { OrderMapping } from './order-mapping';
import { readDescription, readModifiers, readProcedureCode, readUnits } from './order-observation';
import { readRetrievedFromStorageDate } from './order-retrieval';
import { atFirst, describeRefs, err, missingLoc, pick, warning, type Findings, type Found, type Loc, type SegRef, type SegmentsByName } from './order-reading';
import { timingOfObr, type OrderStructure } from './order-structure';

/**
 * The specimen group: one specimen per specimen SPM (governed by the OBR before it), else one per
 * OBR. Specimens under a cancelling ORC are not part of the case; their ids are returned apart.
 */

export interface SpecimenSource {
  segs: SegmentsByName;
  own: SegRef;
  ownName: 'SPM' | 'OBR';
}

export interface SpecimenReading {
  specimens: Record<string, unknown>[];
  /** Specimen segment -> index in `specimens`. */
  indexOf: Map<SegRef, number>;
  /** Ids of the specimens whose ORC cancels (ORC-1 CA/OC/CR). */
  cancelledSpecimenIds: string[];
  sources: SpecimenSource[];
  collection?: Found;
  /** Whether the message type can carry a segment: where a missing specimen value is named when the order has no specimen segment. */
  carries: (segment: string) => boolean;
}

/**
 * The segments of an order message that can hold its specimens: an ORM^O01 has no SPM segment in any
 * version (HL7 v2 chapter 4: its specimens are OBRs), an OML^O21 has both. An ORM missing its
 * specimens is pointed at OBR, not at a segment its sender cannot send.
 */
export function specimenSegmentsCarried(messageType: string): (segment: string) => boolean {
  return messageType === 'ORM' ? (segment) => segment !== 'SPM' : () => true;
}

export function specimenSources(s: OrderStructure): SpecimenSource[] {
  if (s.fromSpm) {
    return s.specimenSpms.map((spm) => {
      const obr = s.obrOf.get(spm);
      return { segs: { SPM: spm, OBR: obr, TQ1: timingOfObr(s, obr) }, own: spm, ownName: 'SPM' as const };
    });
  }
  return s.obrs.map((obr) => ({ segs: { OBR: obr, TQ1: timingOfObr(s, obr) }, own: obr, ownName: 'OBR' as const }));
}

function letterFor(n: number): string {
  return n >= 1 && n <= 26 ? String.fromCharCode(64 + n) : String(n);
}

/** SPM-2 (placer, then filler id) for SPM specimens; the mapped OBR field, else OBR-1 1, 2, 3 -> A, B, C. */
export function readSpecimenId(source: SpecimenSource, m: OrderMapping): Found {
  const { segs, own, ownName } = source;
  if (ownName === 'SPM') return pick(m.spmSpecimenId, segs) ?? { value: '', loc: { segment: 'SPM', sequence: own.sequence, field: 2 } };
  const id = pick(m.obrSpecimenId, segs);
  if (id) return id;
  const setId = Number.parseInt(readValue(own.seg, 1), 10);
  return { value: letterFor(Number.isFinite(setId) && setId > 0 ? setId : own.sequence), loc: { segment: 'OBR', sequence: own.sequence, field: 1 } };
}

/** The specimen's own segment (SPM or OBR) as a whole. */
function ownLoc(source: SpecimenSource): Loc {
  return { segment: source.ownName, sequence: source.own.sequence, field: 0 };
}

function readSpecimen(source: SpecimenSource, prefix: string, m: OrderMapping, f: Findings): Record<string, unknown> {
  const id = readSpecimenId(source, m);
  const own = ownLoc(source);
  f.locs.set(prefix, own);
  f.locs.set(`${prefix}.specimenId`, id.loc);
  const description = readDescription(source.segs, prefix, m, f);
  const primaryCpt = readProcedureCode(source.segs, prefix, own, id.value, m, f);
  const modifiers = readModifiers(source.segs, prefix, m, f);
  const retrieved = readRetrievedFromStorageDate(source.segs, prefix, id.value, m, f);
  return {
    specimenId: id.value,
    ...(description !== undefined ? { description } : {}),
    ...(retrieved !== undefined ? { retrievedFromStorageDate: retrieved } : {}),
    primaryCpt,
    ...(modifiers ? { modifiers } : {}),
    units: readUnits(source.segs, prefix, m, f),
  };
}

/** `cancellingOrc`: the sequence of the ORC that cancels an OBR's order, undefined when it does not. */
export function readSpecimens(
  s: OrderStructure,
  cancellingOrc: (obr: SegRef | undefined) => number | undefined,
  m: OrderMapping,
  f: Findings,
  carries: (segment: string) => boolean = () => true,
): SpecimenReading {
  const r: SpecimenReading = { specimens: [], indexOf: new Map(), cancelledSpecimenIds: [], sources: specimenSources(s), carries };
  for (const source of r.sources) {
    const orc = cancellingOrc(source.segs['OBR']);
    if (orc !== undefined) {
      r.cancelledSpecimenIds.push(readSpecimenId(source, m).value);
      f.warnings.push(warning(ownLoc(source), `${source.ownName} ${source.own.sequence} left out: its order is cancelled (ORC ${orc})`, 'I'));
      continue;
    }
    r.indexOf.set(source.own, r.specimens.length);
    r.specimens.push(readSpecimen(source, `specimens.${r.specimens.length}`, m, f));
    r.collection ??= pick(m.collectionDate, source.segs);
  }
  if (!r.specimens.length) f.locs.set('specimens', noSpecimenLoc(r, m));
  if (!r.sources.length) f.errors.push(err(noSpecimenLoc(r, m), '100', 'the order has no specimens (no SPM and no OBR segment)'));
  return r;
}

/**
 * Where the specimens of an order that keeps none belong: the id of its first specimen segment (all
 * cancelled), else the mapping's first specimen id field the message can carry, SPM's before OBR's
 * (OML^O21: SPM^1^2; ORM^O01: OBR^1^20, or the mapping's next OBR field).
 */
function noSpecimenLoc(r: SpecimenReading, m: OrderMapping): Loc {
  const first = r.sources[0];
  if (first) return readSpecimenId(first, m).loc;
  return missingLoc([...m.spmSpecimenId, ...m.obrSpecimenId], {}, r.carries) ?? atFirst('OBR', 1);
}

/**
 * Where a missing collection date belongs: the first candidate the first specimen has (SPM-17, else
 * OBR-7), else the mapping's first the message can carry, in its segment's first occurrence (no specimen
 * segment: SPM^1^17 in an OML^O21, OBR^1^7 in an ORM^O01).
 */
function collectionDateLoc(r: SpecimenReading, m: OrderMapping): Loc {
  const first = r.sources.find((s) => r.indexOf.has(s.own)) ?? r.sources[0];
  return missingLoc(m.collectionDate, first?.segs ?? {}, r.carries) ?? (first ? ownLoc(first) : noSpecimenLoc(r, m));
}

/**
 * The collection date of the first specimen that has one (SPM-17, else OBR-7), as YYYY-MM-DD. None:
 * 101 where it belongs, also when the order has no specimen segment (the contract requires it).
 */
export function readCollectionDate(r: SpecimenReading, m: OrderMapping, f: Findings): string | undefined {
  if (r.collection) {
    const iso = hl7DateToIso(r.collection.value);
    f.locs.set('collectionDate', r.collection.loc);
    if (!iso) f.errors.push(err(r.collection.loc, '102', `collection date ${r.collection.value} is not an HL7 date (YYYYMMDD[HHMM[SS]])`));
    return iso ?? r.collection.value;
  }
  const loc = collectionDateLoc(r, m);
  f.locs.set('collectionDate', loc);
  f.errors.push(err(loc, '101', `collection date is required (${describeRefs(m.collectionDate, ' or ')})`));
  return undefined;
}
