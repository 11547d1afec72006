import { readFileSync } from 'fs';
import { join } from 'path';
import { buildAck, parseAck } from './ack';
import { parseMessage, readValue } from './encoding';
import { parseOrder } from './order';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8').split('\n').filter(Boolean).join('\r');
const at = new Date('2026-06-01T12:00:00Z');

function segs(ack: string) {
  const p = parseMessage(ack);
  if (!p.ok) throw new Error(p.reason);
  return p.message;
}

describe('buildAck', () => {
  it('AA: swaps sender and receiver, echoes MSH-10 in MSA-2, mirrors the trigger and version', () => {
    const req = fixture('oml-o21-v2.5.1-spm.hl7');
    const ack = buildAck(req, { code: 'AA', timestamp: at });
    expect(ack.split('\r')).toEqual([
      'MSH|^~\\&|SLIDECHARGE|PATHDEPT|BEAKER|UNIV_HOSP|20260601120000+0000||ACK^O21^ACK|ACK-BK-88213|P|2.5.1',
      'MSA|AA|BK-88213|Message accepted',
    ]);
  });

  it('AE for a missing accession, v2.3.1 request: one ERR whose repeating ERR-1 (ELD) names each location, no ERR-2..8', () => {
    const req = fixture('orm-o01-missing-accession.hl7');
    const r = parseOrder(req);
    if (r.ok) throw new Error('expected errors');
    const ack = segs(buildAck(req, { code: r.ackCode, errors: r.errors, timestamp: at }));
    const msa = ack.getSegment('MSA');
    expect([readValue(msa, 1), readValue(msa, 2)]).toEqual(['AE', 'M-2']);
    expect(readValue(msa, 3)).toMatch(/ORC-3 or OBR-3/);
    const errs = ack.getAllSegments('ERR');
    expect(errs).toHaveLength(1);
    expect(errs[0]?.getField(1).toString()).toBe('ORC^1^3^101&Required field missing&HL70357~OBR^1^3^101&Required field missing&HL70357');
    expect(errs[0]?.getField(2)?.toString() ?? '').toBe('');
    // v2.3.1 defines MSH-9.3 but allows MSH-9 7 characters: two components.
    expect(ack.getSegment('MSH')?.getField(9).toString()).toBe('ACK^O01');
  });

  it('v2.3: MSH-9 has two components; v2.5.1: one ERR per finding with ERR-2/3/4/8', () => {
    const v23 = 'MSH|^~\\&|LIS|LAB|SC|PATH|20260101||ORM^O01|C1|P|2.3';
    const error = { segment: 'PID', sequence: 1, field: 3, code: '101' as const, message: 'PID-3 is required' };
    const old = segs(buildAck(v23, { code: 'AE', errors: [error], timestamp: at }));
    expect(old.getSegment('MSH')?.getField(9).toString()).toBe('ACK^O01');
    expect(old.getSegment('ERR')?.toString()).toBe('ERR|PID^1^3^101&Required field missing&HL70357');
    const current = segs(buildAck(v23.replace('|2.3', '|2.5.1'), { code: 'AE', errors: [error], timestamp: at }));
    expect(current.getSegment('ERR')?.toString()).toBe('ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 is required');
  });

  it('before v2.5 a warning of an accepted message goes to MSA-3 (80 characters at most), not to an ERR', () => {
    const w = { segment: 'SAC', sequence: 0, field: 0, code: '0' as const, message: 'no slides known: scans cannot match until slides are sent', severity: 'W' as const };
    const ack = segs(buildAck('MSH|^~\\&|LIS|LAB|SC|PATH|20260101||ORM^O01|C1|P|2.3', { code: 'AA', errors: [w], text: 'case S-1 created (version 1)', timestamp: at }));
    expect(readValue(ack.getSegment('MSA'), 3)).toBe(w.message);
    expect(ack.getAllSegments('ERR')).toHaveLength(0);
  });

  it('enhanced mode (MSH-15 AL): MSA-1 is the commit code', () => {
    const req = 'MSH|^~\\&|LIS|LAB|SC|PATH|20260101||ORM^O01^ORM_O01|C1|P|2.5.1|||AL|NE';
    expect(readValue(segs(buildAck(req, { code: 'AA', enhanced: true, timestamp: at })).getSegment('MSA'), 1)).toBe('CA');
    expect(readValue(segs(buildAck(req, { code: 'AE', enhanced: true, timestamp: at })).getSegment('MSA'), 1)).toBe('CE');
    expect(readValue(segs(buildAck(req, { code: 'AR', enhanced: true, timestamp: at })).getSegment('MSA'), 1)).toBe('CR');
  });

  it('AR for a wrong message type; v2.5.1 requests get no ERR-1', () => {
    const req = fixture('adt-a01-wrong-type.hl7');
    const r = parseOrder(req);
    if (r.ok) throw new Error('expected errors');
    const text = buildAck(req, { code: r.ackCode, errors: r.errors, timestamp: at });
    const ack = segs(text);
    expect(readValue(ack.getSegment('MSA'), 1)).toBe('AR');
    expect(ack.getSegment('MSH')?.getField(9).toString()).toBe('ACK^A01^ACK');
    const err = ack.getSegment('ERR');
    expect(err?.getField(1).toString()).toBe('');
    expect(err?.getField(2).toString()).toBe('MSH^1^9^^1');
    expect(readValue(err, 3)).toBe('200');
  });

  it('escapes delimiters in error text and still answers garbage', () => {
    const ack = buildAck('not hl7', {
      code: 'AR',
      errors: [{ segment: 'MSH', sequence: 1, field: 0, code: '100', message: 'bad | field ^ and & stuff ~ \\' }],
      controlId: 'X1',
      timestamp: at,
    });
    const m = segs(ack);
    expect(readValue(m.getSegment('MSA'), 2)).toBe('');
    expect(readValue(m.getSegment('ERR'), 8)).toBe('bad | field ^ and & stuff ~ \\');
    expect(readValue(m.getSegment('MSH'), 10)).toBe('X1');
  });

  it('does not echo a request header field over its length (MSH-3 or MSH-10 of 3000); echoes a control character escaped', () => {
    const long = 'X'.repeat(3000);
    const ack = buildAck(`MSH|^~\\&|${long}|LAB|SC|PATH|20260101||ORM^O01|${long}|P|2.5.1`, { code: 'AR', timestamp: at });
    const msh = segs(ack).getSegment('MSH');
    expect([readValue(msh, 3), readValue(msh, 5), readValue(msh, 6), readValue(segs(ack).getSegment('MSA'), 2)]).toEqual(['SC', '', 'LAB', '']);
    expect(ack.length).toBeLessThan(300);
    const nul = buildAck('MSH|^~\\&|LIS|LAB|SC|PATH|20260101||ORM^O01|C\\X00\\1|P|2.5.1', { code: 'AR', timestamp: at });
    expect(nul).toContain('\rMSA|AR|C\\X00\\1|');
  });
});

describe('parseAck', () => {
  it('reads back what buildAck wrote: code, MSA-2, MSA-3, MSH-9 and each ERR (v2.5.1 ERR-2, v2.3.1 ERR-1 repetitions)', () => {
    const wrongType = fixture('adt-a01-wrong-type.hl7');
    const r = parseOrder(wrongType);
    if (r.ok) throw new Error('expected errors');
    expect(parseAck(buildAck(wrongType, { code: r.ackCode, errors: r.errors, timestamp: at }))).toEqual({
      code: r.ackCode,
      controlId: r.messageControlId,
      text: r.errors[0]?.message.slice(0, 80),
      messageType: 'ACK^A01^ACK',
      errors: r.errors.map((e) => ({
        location: [e.segment, e.sequence, e.field, e.repetition ?? '', e.component ?? ''].join('^').replace(/\^+$/, ''),
        code: e.code,
        severity: 'E',
        message: e.message,
      })),
    });
    const missing = fixture('orm-o01-missing-accession.hl7');
    const m = parseOrder(missing);
    if (m.ok) throw new Error('expected errors');
    expect(parseAck(buildAck(missing, { code: m.ackCode, errors: m.errors, timestamp: at }))?.errors).toEqual([
      { location: 'ORC^1^3', code: '101', severity: '', message: '' },
      { location: 'OBR^1^3', code: '101', severity: '', message: '' },
    ]);
  });

  it('an ERR with only ERR-1 (v2.3 receivers) still gives location and code', () => {
    const ack = parseAck('MSH|^~\\&|A|B|C|D|20260101||ACK|9|P|2.3\rMSA|AE|M-9|bad\rERR|PID^1^3^101&Required field missing&HL70357');
    expect(ack?.errors).toEqual([{ location: 'PID^1^3', code: '101', severity: '', message: '' }]);
  });

  it('undefined for text that is not an ACK', () => {
    expect(parseAck('garbage')).toBeUndefined();
    expect(parseAck(fixture('adt-a01-wrong-type.hl7'))).toBeUndefined();
  });
});
