import { hl7DateToIso, readValue, repetitionCount } from './encoding';
import type { OrderMapping } from './order-mapping';
import type { Found, Loc, SegRef } from './order-reading';

/**
 * The patient group (PID): PID-3 identifier and its assigning authority (PID-3.4), PID-5 name
 * (family^given), PID-7 birth date, PID-8 administrative sex.
 */

const PID = (field: number, extra: Partial<Loc> = {}): Loc => ({ segment: 'PID', sequence: 1, field, ...extra });

function identifierRepetition(pid: SegRef, m: OrderMapping): number {
  const reps = Math.max(1, repetitionCount(pid.seg, 3));
  const has = (i: number) => readValue(pid.seg, 3, 1, 1, i) !== '';
  for (let i = 0; i < reps; i++) {
    if (has(i) && m.patientIdentifierTypes.includes(readValue(pid.seg, 3, 5, 1, i).toUpperCase())) return i;
  }
  for (let i = 0; i < reps; i++) if (has(i)) return i;
  return -1;
}

/** PID-3 of the repetition whose CX-5 is a medical-record type, else the first; PID-2 as last resort. */
export function readPatientId(pid: SegRef, m: OrderMapping): Found & { repetition: number } {
  const chosen = identifierRepetition(pid, m);
  if (chosen >= 0) return { value: readValue(pid.seg, 3, 1, 1, chosen), loc: PID(3, { repetition: chosen + 1 }), repetition: chosen };
  const pid2 = readValue(pid.seg, 2, 1);
  return { value: pid2, loc: PID(pid2 ? 2 : 3), repetition: -1 };
}

/** PID-3.4 (HD: namespace id, else universal id) of the chosen identifier repetition. */
function assigningAuthority(pid: SegRef, repetition: number): string {
  if (repetition < 0) return '';
  return readValue(pid.seg, 3, 4, 1, repetition) || readValue(pid.seg, 3, 4, 2, repetition);
}

/** The PID-5 repetition to read: the legal name (XPN-7 = L) when marked, else the first. */
function nameRepetition(pid: SegRef): number {
  const reps = repetitionCount(pid.seg, 5);
  for (let i = 0; i < reps; i++) if (readValue(pid.seg, 5, 7, 1, i).toUpperCase() === 'L') return i;
  return 0;
}

/** Demographics candidate (values as sent; the contract checks them) and where each was read. */
export function readDemographics(pid: SegRef, repetition: number): { patient: Record<string, string>; locs: [string, Loc][] } {
  const name = nameRepetition(pid);
  const birth = readValue(pid.seg, 7, 1);
  const fields: [string, string, Loc][] = [
    ['familyName', readValue(pid.seg, 5, 1, 1, name), PID(5, { repetition: name + 1, component: 1 })],
    ['givenName', readValue(pid.seg, 5, 2, 1, name), PID(5, { repetition: name + 1, component: 2 })],
    ['birthDate', birth ? (hl7DateToIso(birth) ?? birth) : '', PID(7)],
    ['administrativeSex', readValue(pid.seg, 8, 1).toUpperCase(), PID(8)],
    ['identifierAuthority', assigningAuthority(pid, repetition), PID(3, { repetition: repetition + 1, component: 4 })],
  ];
  const present = fields.filter(([, value]) => value !== '');
  return {
    patient: Object.fromEntries(present.map(([key, value]) => [key, value])),
    locs: present.map(([key, , loc]) => [`patient.${key}`, loc]),
  };
}
