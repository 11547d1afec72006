import { readValue } from './encoding';
import type { OrderMapping } from './order-mapping';
import { warning, type Findings, type SegRef } from './order-reading';

/** The insurance group (IN1): IN1-3 payer id, IN1-4 payer name, IN1-2 plan; self-pay without IN1. */
export function readPayer(in1: SegRef | undefined, m: OrderMapping, f: Findings): Record<string, string> {
  if (!in1) {
    f.warnings.push(warning({ segment: 'IN1', sequence: 0, field: 0 }, `no IN1 segment: payer set to ${m.selfPayPayerId}`));
    return { payerId: m.selfPayPayerId };
  }
  const payer: Record<string, string> = { payerId: readValue(in1.seg, 3, 1) };
  const name = readValue(in1.seg, 4, 1);
  const plan = readValue(in1.seg, 2, 2) || readValue(in1.seg, 2, 1);
  if (name) payer['name'] = name;
  if (plan) payer['plan'] = plan;
  const at = (field: number) => ({ segment: 'IN1', sequence: 1, field });
  f.locs.set('payer', at(3));
  f.locs.set('payer.payerId', at(3));
  f.locs.set('payer.name', at(4));
  f.locs.set('payer.plan', at(2));
  return payer;
}
