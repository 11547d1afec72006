import { buildOrderResponse } from './ack-order-response';
import { parseAck } from './ack';
import { DEFAULT_ORDER_MAPPING, parseOrder, type OrderMapping } from './order';
import { missingLoc } from './order-reading';

/**
 * ERR-2 of a missing value names the segment and field the order mapping reads it from (sequence 1
 * when the order has no such segment at all), never MSH^1^0: that is kept for problems with no field.
 */

const OML = 'MSH|^~\\&|LIS|LAB|SC|PATH|20261120||OML^O21^OML_O21|C1|P|2.5.1';
const ORM = 'MSH|^~\\&|LIS|LAB|SC|PATH|20261120||ORM^O01|C1|P|2.5.1';
const PID = 'PID|1||E1^^^^MR||DOE^JO';
const ORC = 'ORC|NW||S26-1';
const OBR = 'OBR|1||S26-1|88305^^C4|||20261119';
const message = (...segments: string[]) => segments.join('\r');

/** ERR-2 and ERR-3.1 of each ERR of the order response to `text`, as sent. */
function errAt(text: string, mapping: OrderMapping = DEFAULT_ORDER_MAPPING): string[] {
  const r = parseOrder(text, mapping);
  if (r.ok) throw new Error('expected a refusal');
  const response = buildOrderResponse(text, { code: r.ackCode, errors: r.errors, timestamp: new Date('2026-06-01T12:00:00Z') });
  return (parseAck(response)?.errors ?? []).map((e) => `${e.location}:${e.code}`);
}

describe('ERR-2 of a missing collection date', () => {
  it('an OML^O21 without any SPM or OBR: SPM^1^17 (the mapping first candidate), 101; the specimens at SPM^1^2, 100', () => {
    expect(errAt(message(OML, PID, ORC))).toEqual(['SPM^1^2:100', 'SPM^1^17:101']);
  });

  it('an ORM^O01 without any OBR: OBR^1^7 and the specimens at OBR^1^20 (the mapping first OBR candidates: an ORM carries no SPM)', () => {
    expect(errAt(message(ORM, PID, ORC))).toEqual(['OBR^1^20:100', 'OBR^1^7:101']);
  });

  it('follows the mapping: with OBR-7 as the only candidate, an OML^O21 without OBR names OBR^1^7', () => {
    const mapping = { ...DEFAULT_ORDER_MAPPING, collectionDate: [{ segment: 'OBR', field: 7 }] };
    expect(errAt(message(OML, PID, ORC), mapping)).toEqual(['SPM^1^2:100', 'OBR^1^7:101']);
  });

  it('an ORM^O01 whose mapping names only SPM-17 is still pointed there (nothing better to name)', () => {
    const mapping = { ...DEFAULT_ORDER_MAPPING, collectionDate: [{ segment: 'SPM', field: 17 }] };
    expect(errAt(message(ORM, PID, ORC), mapping)).toEqual(['OBR^1^20:100', 'SPM^1^17:101']);
  });

  it('the segment sent with the field empty: that segment, sequence and field as before, and no second ERR at MSH', () => {
    expect(errAt(message(ORM, PID, ORC, 'OBR|1||S26-1|88305^^C4', 'OBR|2||S26-1|88305^^C4'))).toEqual(['OBR^1^7:101']);
    expect(errAt(message(OML, PID, ORC, 'OBR|1||S26-1|88305^^C4', 'SPM|1|A', 'SPM|2|B'))).toEqual(['SPM^1^17:101']);
  });
});

describe('ERR-2 of other values whose segment is absent', () => {
  it('no PID: PID^1^3 (patient id), 100, once', () => {
    expect(errAt(message(ORM, ORC, OBR))).toEqual(['PID^1^3:100']);
  });

  it('no ORC: ORC^1^1 (order control), 100', () => {
    expect(errAt(message(ORM, PID, OBR))).toEqual(['ORC^1^1:100']);
  });

  it('no accession and no OBR: ORC^1^3 and OBR^1^3, 101', () => {
    expect(errAt(message(ORM, PID, 'ORC|NW')).slice(0, 2)).toEqual(['ORC^1^3:101', 'OBR^1^3:101']);
  });

  it('SPM specimens without an OBR and no procedure code: OBR^1^44, 101 (not the SPM as a whole)', () => {
    expect(errAt(message(OML, PID, ORC, 'SPM|1|A|||||||||||||||20261119'))).toEqual(['OBR^1^44:101']);
  });

  it('every ORC cancelling but one without OBR: the specimens at the first specimen id (OBR^1^1), the collection date at OBR^1^7', () => {
    expect(errAt(message(ORM, PID, ORC, 'ORC|CA||S26-1', 'OBR|1||S26-1|88305^^C4'))).toEqual(['OBR^1^7:101', 'OBR^1^1:101']);
  });

  it('13 diagnoses (12 allowed): the 13th, DG1^1^3^13, not MSH', () => {
    const codes = Array.from({ length: 13 }, (_, i) => `C50.9${String(i).padStart(2, '0')}`).join('~');
    expect(errAt(message(ORM, PID, ORC, OBR, `DG1|1||${codes}`))).toEqual(['DG1^1^3^13:102']);
  });
});

describe('missingLoc', () => {
  const refs = [
    { segment: 'SPM', field: 17, component: 1 },
    { segment: 'OBR', field: 7 },
  ];
  const seg = { seg: {} as never, sequence: 2 };

  it('the first candidate whose segment is there, else the first candidate at sequence 1; undefined without candidates', () => {
    expect(missingLoc(refs, { OBR: seg })).toEqual({ segment: 'OBR', sequence: 2, field: 7 });
    expect(missingLoc(refs, {})).toEqual({ segment: 'SPM', sequence: 1, field: 17 });
    expect(missingLoc([], { OBR: seg })).toBeUndefined();
  });
});
