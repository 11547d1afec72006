import { AccessionNumber } from '@slidecharge/contracts';
import { readValue } from './encoding';
import type { Hl7Error } from './errors';
import type { OrderMapping } from './order-mapping';
import { atFirst, err, type Findings, type Found, type Loc, type SegRef } from './order-reading';

/**
 * The common order group (ORC): ORC-1 order control (HL7 table 0119), ORC-3 / OBR-3 filler order
 * number (the accession), ORC-12 / OBR-16 ordering provider (XCN: id^family^given, the id an NPI).
 */

/** One ORC as the response echoes it: ORC-1, ORC-2 placer and ORC-3 filler order numbers as sent. */
export interface OrderGroup {
  sequence: number;
  orderControl: string;
  placerOrderNumber: string;
  fillerOrderNumber: string;
}

export type OrderControlResult = { ok: true; controls: string[] } | { ok: false; refusal: Hl7Error };

/** Every ORC-1 must be in table 0119; a known code that is not acted upon refuses the message (AR 201). */
export function readOrderControls(orcs: SegRef[], m: OrderMapping, f: Findings): OrderControlResult {
  if (!orcs.length) f.errors.push(err(atFirst('ORC', 1), '100', 'the order has no ORC segment (ORC-1 order control is required)'));
  const controls = orcs.map((o) => readValue(o.seg, 1).toUpperCase());
  const handled = [...m.upsertOrderControls, ...m.cancelOrderControls];
  for (const [i, code] of controls.entries()) {
    const loc = { segment: 'ORC', sequence: i + 1, field: 1 };
    if (!code) f.errors.push(err(loc, '101', `ORC-1 order control is required`));
    else if (!m.orderControlCodes.includes(code)) f.errors.push(err(loc, '103', `ORC-1 order control ${code} is not in HL7 table 0119`));
    else if (!handled.includes(code)) {
      const send = `send ${m.upsertOrderControls.join('/')} to create or change a case, ${m.cancelOrderControls.join('/')} to cancel it`;
      return { ok: false, refusal: err(loc, '201', `ORC-1 order control ${code} is not acted upon; ${send}`) };
    }
  }
  return { ok: true, controls };
}

export function readOrderGroups(orcs: SegRef[]): OrderGroup[] {
  return orcs.map((o) => ({
    sequence: o.sequence,
    orderControl: readValue(o.seg, 1).toUpperCase(),
    placerOrderNumber: o.seg.getField(2)?.toString() ?? '',
    fillerOrderNumber: o.seg.getField(3)?.toString() ?? '',
  }));
}

function fillerNumbers(orcs: SegRef[], obrs: SegRef[]): Found[] {
  const fillers: Found[] = [];
  for (const [name, refs] of [['ORC', orcs], ['OBR', obrs]] as const) {
    for (const r of refs) {
      const value = readValue(r.seg, 3, 1);
      if (value) fillers.push({ value, loc: { segment: name, sequence: r.sequence, field: 3 } });
    }
  }
  return fillers;
}

/** The accession: the filler order number, the same in every ORC-3 and OBR-3 that has one; none: 101 at both first ones. */
export function readAccession(orcs: SegRef[], obrs: SegRef[], f: Findings): string {
  const fillers = fillerNumbers(orcs, obrs);
  const first = fillers[0];
  if (!first) {
    const message = 'filler order number (accession) is required in ORC-3 or OBR-3';
    f.errors.push(err(atFirst('ORC', 3), '101', message));
    f.errors.push(err(atFirst('OBR', 3), '101', message));
    return '';
  }
  f.locs.set('accessionNumber', first.loc);
  const valid = AccessionNumber.safeParse(first.value);
  if (!valid.success) f.errors.push(err(first.loc, '102', `accession ${first.value}: ${valid.error.issues[0]?.message ?? 'invalid'}`));
  for (const other of fillers.slice(1)) {
    if (other.value !== first.value) f.errors.push(err(other.loc, '102', `filler order number ${other.value} differs from ${first.value}; one message carries one case`));
  }
  return first.value;
}

/** XCN-1 is an NPI when it is 10 digits and XCN-13 (identifier type), if sent, says NPI. */
function npiOf(ref: SegRef, field: number): string | undefined {
  const id = readValue(ref.seg, field, 1);
  const type = readValue(ref.seg, field, 13).toUpperCase();
  return /^\d{10}$/.test(id) && (type === '' || type === 'NPI') ? id : undefined;
}

/** Ordering provider from ORC-12, else OBR-16: "id family, given" as before, and the NPI when XCN-1 is one. */
export function readOrderingProvider(orc: SegRef | undefined, obr: SegRef | undefined, f: Findings): { orderingProvider?: string; orderingProviderNpi?: string } {
  for (const [name, ref, field] of [['ORC', orc, 12], ['OBR', obr, 16]] as const) {
    if (!ref) continue;
    const id = readValue(ref.seg, field, 1);
    const fullName = [readValue(ref.seg, field, 2), readValue(ref.seg, field, 3)].filter(Boolean).join(', ');
    const value = id && fullName ? `${id} ${fullName}` : id || fullName;
    if (!value) continue;
    const loc: Loc = { segment: name, sequence: ref.sequence, field };
    f.locs.set('orderingProvider', loc);
    const npi = npiOf(ref, field);
    if (npi) f.locs.set('orderingProviderNpi', { ...loc, component: 1 });
    return { orderingProvider: value, ...(npi ? { orderingProviderNpi: npi } : {}) };
  }
  return {};
}
