import { buildOrderResponse } from './ack-order-response';
import { buildAck } from './ack';
import { parseMessage } from './encoding';
import type { Hl7Error } from './errors';

/**
 * The responses checked against the official HL7 definitions of each version (hl7-dictionary): no
 * field past the last one the segment defines (no ERR-2..8 before v2.5), MSH-9 with no more
 * components than its data type, field lengths within the version's limits, and the segments the
 * message structure allows (one ERR before v2.5).
 */
interface FieldDef {
  datatype: string;
  len?: number;
}
interface Dictionary {
  definitions: Record<
    string,
    {
      segments: Record<string, { fields: FieldDef[] }>;
      fields: Record<string, { subfields?: unknown[] }>;
      messages: Record<string, { segments: { segments: StructureNode[] } }>;
    }
  >;
}
interface StructureNode {
  name: string;
  max: number;
  children?: StructureNode[];
  compounds?: StructureNode[];
}
const dictionary = require('hl7-dictionary') as Dictionary;

/** Segment name -> max occurrences (0 = unbounded) anywhere in the structure. */
function allowedSegments(nodes: StructureNode[], out = new Map<string, number>()): Map<string, number> {
  for (const n of nodes) {
    if (n.children) allowedSegments(n.children, out);
    else if (n.compounds) allowedSegments(n.compounds, out);
    else out.set(n.name, n.max);
  }
  return out;
}

const errors: Hl7Error[] = [
  { segment: 'OBR', sequence: 1, field: 44, component: 1, code: '102', message: 'specimens.0.primaryCpt: a CPT code such as 88305 or 0753T' },
  { segment: 'PID', sequence: 1, field: 3, code: '101', message: 'PID-3 is required' },
  { segment: 'IN1', sequence: 0, field: 0, code: '0', severity: 'W', message: 'no IN1 segment: payer set to SELF-PAY' },
];

function order(type: 'ORM' | 'OML', version: string, mode = ''): string {
  const msh9 = type === 'ORM' ? 'ORM^O01' : 'OML^O21';
  return [
    `MSH|^~\\&|LIS|LAB|SC|PATH|20261120||${msh9}|C-1|P|${version}${mode}`,
    'PID|1||MRN-1^^^UNIV^MR||DOE^JANE||19690214|F',
    'ORC|NW|PL-1|S26-1',
    'OBR|1|PL-1|S26-1|88A05^^C4',
  ].join('\r');
}

function check(version: string, structure: string, text: string): void {
  const def = dictionary.definitions[version];
  if (!def) throw new Error(`no definitions for ${version}`);
  const parsed = parseMessage(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  const allowed = allowedSegments(def.messages[structure]?.segments.segments ?? []);
  const counts = new Map<string, number>();
  for (const seg of parsed.message.segments) {
    counts.set(seg.name, (counts.get(seg.name) ?? 0) + 1);
    expect(allowed.has(seg.name)).toBe(true);
    const max = allowed.get(seg.name) ?? 0;
    if (max > 0) expect(counts.get(seg.name)).toBeLessThanOrEqual(max);
    const fields = def.segments[seg.name]?.fields ?? [];
    const last = seg.name === 'MSH' ? seg.fields.length : seg.fields.length - 1;
    expect({ segment: seg.name, fields: last }).toEqual({ segment: seg.name, fields: Math.min(last, fields.length) });
    fields.forEach((f, i) => {
      const value = seg.getField(i + 1)?.toString() ?? '';
      for (const rep of value.split('~')) if (f.len) expect({ field: `${seg.name}-${i + 1}`, over: rep.length > f.len }).toEqual({ field: `${seg.name}-${i + 1}`, over: false });
    });
  }
  const msh9 = def.segments['MSH']?.fields[8]?.datatype ?? '';
  const components = parsed.message.getSegment('MSH')?.getField(9)?.toString().split('^').length ?? 0;
  expect(components).toBeLessThanOrEqual(def.fields[msh9]?.subfields?.length ?? 1);
}

describe('responses against the HL7 definitions of their version', () => {
  it.each(['2.3', '2.3.1', '2.4', '2.5', '2.5.1'])('v%s: ACK (AE with errors and a warning), ORR^O02, ORL^O22, commit ACK', (version) => {
    check(version, 'ACK', buildAck(order('ORM', version), { code: 'AE', errors }));
    check(version, 'ACK', buildOrderResponse(order('ORM', version, '|||AL|NE'), { code: 'AE', errors }));
    check(version, 'ORR_O02', buildOrderResponse(order('ORM', version), { code: 'AE', errors }));
    check(version, 'ORR_O02', buildOrderResponse(order('ORM', version), { code: 'AA', errors: [errors[2] as Hl7Error], text: 'case S26-1 created (version 1)' }));
    if (['2.5', '2.5.1'].includes(version)) check(version, 'ORL_O22', buildOrderResponse(order('OML', version), { code: 'AA', text: 'case S26-1 created (version 1)' }));
  });
});
