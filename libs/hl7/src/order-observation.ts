import type { OrderMapping } from './order-mapping';
import { describeRefs, err, missingLoc, pick, pickAll, type Findings, type Loc, type SegmentsByName } from './order-reading';

/**
 * The observation request and its timing (OBR, TQ1) as one specimen's charge: primary procedure
 * code (OBR-44, else a CPT code in OBR-4), modifiers (OBR-45 repetitions), units (TQ1-2 quantity,
 * then OBR-27 for backward compatibility, then 1) and description.
 */

/** Where the specimen's own segment is, for errors with no better place. */
export type OwnLoc = Loc;

export function readProcedureCode(segs: SegmentsByName, prefix: string, own: OwnLoc, specimenId: string, m: OrderMapping, f: Findings): string {
  const code = pick(m.procedureCode, segs);
  const loc = code?.loc ?? missingLoc(m.procedureCode, segs) ?? own;
  f.locs.set(`${prefix}.primaryCpt`, loc);
  if (!code) f.errors.push(err(loc, '101', `specimen ${specimenId} has no primary procedure code (looked in ${describeRefs(m.procedureCode)})`));
  return code?.value ?? '';
}

export function readModifiers(segs: SegmentsByName, prefix: string, m: OrderMapping, f: Findings): string[] | undefined {
  const modifiers = pickAll(m.modifiers, segs);
  const first = modifiers[0];
  if (!first) return undefined;
  f.locs.set(`${prefix}.modifiers`, { segment: first.loc.segment, sequence: first.loc.sequence, field: first.loc.field });
  modifiers.forEach((x, j) => f.locs.set(`${prefix}.modifiers.${j}`, x.loc));
  return modifiers.map((x) => x.value.toUpperCase());
}

/** A whole number of units ("2", "2.0"); NaN for anything else (the contract then names the field). */
export function unitsValue(text: string): number {
  return /^\d+(\.0*)?$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
}

export function readUnits(segs: SegmentsByName, prefix: string, m: OrderMapping, f: Findings): number {
  const units = pick(m.units, segs);
  if (!units) return 1;
  f.locs.set(`${prefix}.units`, units.loc);
  return unitsValue(units.value);
}

export function readDescription(segs: SegmentsByName, prefix: string, m: OrderMapping, f: Findings): string | undefined {
  const description = pick(m.specimenDescription, segs);
  if (!description) return undefined;
  f.locs.set(`${prefix}.description`, description.loc);
  return description.value;
}
