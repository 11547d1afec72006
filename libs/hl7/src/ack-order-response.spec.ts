import { readFileSync } from 'fs';
import { join } from 'path';
import { buildOrderResponse, responseOrderControl } from './ack-order-response';
import { parseAck } from './ack';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8').split('\n').filter(Boolean).join('\r');
const at = new Date('2026-06-01T12:00:00Z');
const lines = (text: string) => text.split('\r');

describe('buildOrderResponse', () => {
  it('ORM^O01 v2.3 in original mode -> ORR^O02 (two-part MSH-9) with PID and ORC-1 OK echoing ORC-2/ORC-3', () => {
    const req = fixture('orm-o01-v2.3-obr-specimens.hl7');
    const out = lines(buildOrderResponse(req, { code: 'AA', text: 'case S26-000101 created (version 1)', timestamp: at }));
    expect(out[0]).toMatch(/\|ORR\^O02\|ACK-CP000101\|P\|2\.3$/);
    expect(out[1]).toBe('MSA|AA|CP000101|case S26-000101 created (version 1)');
    expect(out.filter((s) => s.startsWith('PID'))).toHaveLength(1);
    const orcs = out.filter((s) => s.startsWith('ORC'));
    expect(orcs.length).toBeGreaterThan(0);
    expect(orcs.every((o) => o.startsWith('ORC|OK|') && o.includes('S26-000101'))).toBe(true);
  });

  it('OML^O21 v2.5.1 without MSH-15 -> ORL^O22^ORL_O22; a refusal answers UA with ERR-2 locations', () => {
    const req = fixture('oml-o21-v2.5.1-spm.hl7').replace('|||AL|NE', '');
    const error = { segment: 'SPM', sequence: 1, field: 2, code: '101' as const, message: 'no specimen id' };
    const text = buildOrderResponse(req, { code: 'AE', errors: [error], timestamp: at });
    expect(parseAck(text)).toMatchObject({ code: 'AE', messageType: 'ORL^O22^ORL_O22', errors: [{ location: 'SPM^1^2', code: '101', severity: 'E' }] });
    const out = lines(text);
    expect(out.map((s) => s.slice(0, 3))).toEqual(['MSH', 'MSA', 'ERR', 'PID', ...out.slice(4).map(() => 'ORC')]);
    expect(out.slice(4).every((o) => o.startsWith('ORC|UA|'))).toBe(true);
  });

  it('MSH-15 AL (enhanced mode) -> a commit ACK: ACK^O21^ACK with CA, nothing else', () => {
    const req = fixture('oml-o21-v2.5.1-slides.hl7');
    const ack = parseAck(buildOrderResponse(req, { code: 'AA', timestamp: at }));
    expect(ack).toMatchObject({ code: 'CA', messageType: 'ACK^O21^ACK', errors: [] });
  });

  it('a message that is no order gets an ACK', () => {
    expect(parseAck(buildOrderResponse(fixture('adt-a01-wrong-type.hl7'), { code: 'AR', timestamp: at }))?.messageType).toBe('ACK^A01^ACK');
  });

  it('order control echo (table 0119): NW -> OK/UA, XO -> XR/UX, CA -> CR/UC', () => {
    expect(['NW', 'XO', 'CA'].map((c) => responseOrderControl(c, 'AA'))).toEqual(['OK', 'XR', 'CR']);
    expect(['NW', 'XO', 'CA'].map((c) => responseOrderControl(c, 'AE'))).toEqual(['UA', 'UX', 'UC']);
  });
});
