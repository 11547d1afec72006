import { hl7DateToIso } from './encoding';
import type { OrderMapping } from './order-mapping';
import { err, pick, type Findings, type SegmentsByName } from './order-reading';

/**
 * The date an archived specimen was obtained from storage (42 CFR 414.510(b)(2)(ii)): HL7 v2.5.1 has
 * no field for it, so it is read from the field the LIS agrees on (`specimenRetrievedFromStorageDate`,
 * none by default) of the specimen's own SPM or OBR. A DT or DTM value; its date part is kept.
 * A date before the collection date is not refused here: billing holds the charge with the reason
 * (retrieval-before-collection), as for the same value sent over REST.
 */
export function readRetrievedFromStorageDate(segs: SegmentsByName, prefix: string, specimenId: string, m: OrderMapping, f: Findings): string | undefined {
  const found = pick(m.specimenRetrievedFromStorageDate, segs);
  if (!found) return undefined;
  f.locs.set(`${prefix}.retrievedFromStorageDate`, found.loc);
  const iso = hl7DateToIso(found.value);
  if (!iso) {
    const message = `specimen ${specimenId}: retrieved-from-storage date ${found.value} is not an HL7 date (YYYYMMDD[HHMM[SS]])`;
    f.errors.push(err(found.loc, '102', message));
  }
  return iso;
}
