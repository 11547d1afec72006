import fc from 'fast-check';
import { buildAck } from '@slidecharge/hl7';
import { backoffDelayMs, claimLeaseMs, deliveryIdFor, interpretAck, messageControlIdFor, nextStepAfter, SENDING_MARK_MARGIN_MS, sendingWindowMs } from './delivery-policy';

const CHARGE_ID = '5b0c2f6e-8d4c-5c4e-9a51-2f0d3b7c1a90';
const dft = (controlId: string) => `MSH|^~\\&|SLIDECHARGE||BILLING|HOSP|20260302101500||DFT^P03^DFT_P03|${controlId}|P|2.5.1\rEVN|P03|20260302101500`;

describe('message control id (MSH-10)', () => {
  it('is stable, 20 characters of letters and digits, prefixed by the kind', () => {
    const id = messageControlIdFor('charge', CHARGE_ID);
    expect(id).toBe(messageControlIdFor('charge', CHARGE_ID));
    expect(id).toBe(messageControlIdFor('charge', CHARGE_ID.toUpperCase()));
    expect(id).toMatch(/^SCG[0-9A-HJKMNP-TV-Z]{17}$/);
    expect(messageControlIdFor('credit', CHARGE_ID)).toMatch(/^SCD[0-9A-HJKMNP-TV-Z]{17}$/);
  });

  it('differs between a charge and a credit of the same id, and between ids', () => {
    expect(messageControlIdFor('credit', CHARGE_ID).slice(3)).not.toBe(messageControlIdFor('charge', CHARGE_ID).slice(3));
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), (a, b) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        expect(messageControlIdFor('charge', a)).not.toBe(messageControlIdFor('charge', b));
        expect(messageControlIdFor('charge', a)).toHaveLength(20);
      }),
    );
  });

  it('delivery ids are name-based UUIDs of kind and id', () => {
    expect(deliveryIdFor('charge', CHARGE_ID)).toBe(deliveryIdFor('charge', CHARGE_ID.toUpperCase()));
    expect(deliveryIdFor('charge', CHARGE_ID)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryIdFor('credit', CHARGE_ID)).not.toBe(deliveryIdFor('charge', CHARGE_ID));
  });
});

describe('backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles from the base after each failed attempt, up to the max', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(n, policy))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(backoffDelayMs(10_000, policy)).toBe(60_000);
    expect(backoffDelayMs(0, policy)).toBe(1000);
  });

  it('never shrinks and never passes the max', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 200 }), (base, extra, n) => {
        const p = { baseMs: base, maxMs: base + extra };
        const d = backoffDelayMs(n, p);
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeLessThanOrEqual(p.maxMs);
        expect(backoffDelayMs(n + 1, p)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});

describe('reading the ACK', () => {
  const id = 'SCG0123456789ABCDEFG';

  it('AA echoing the control id is an acceptance', () => {
    expect(interpretAck(buildAck(dft(id), { code: 'AA' }), id)).toEqual({ outcome: 'AA', detail: 'Message accepted' });
  });

  it('AE and AR carry MSA-3, or ERR-8 when MSA-3 is empty', () => {
    const ae = buildAck(dft(id), { code: 'AE', errors: [{ segment: 'FT1', sequence: 1, field: 7, code: '103', message: 'unknown charge code 0753T' }] });
    expect(interpretAck(ae, id)).toEqual({ outcome: 'AE', detail: 'unknown charge code 0753T' });
    expect(interpretAck(buildAck(dft(id), { code: 'AR', text: 'system down' }), id)).toEqual({ outcome: 'AR', detail: 'system down' });
    const errOnly = `MSH|^~\\&|BILLING||SLIDECHARGE||20260302||ACK^P03^ACK|A1|P|2.5.1\rMSA|AE|${id}\rERR||FT1^1^10|102^Data type error^HL70357|E||||quantity out of range`;
    expect(interpretAck(errOnly, id)).toEqual({ outcome: 'AE', detail: 'quantity out of range' });
  });

  it('enhanced-mode commit codes are read too (CA accepts)', () => {
    const ca = `MSH|^~\\&|BILLING||SLIDECHARGE||20260302||ACK|A1|P|2.5.1\rMSA|CA|${id}`;
    expect(interpretAck(ca, id).outcome).toBe('CA');
    expect(interpretAck(ca.replace('|CA|', '|CR|'), id).outcome).toBe('CR');
    expect(interpretAck(ca.replace('|CA|', '|ca|'), id).outcome).toBe('CA');
  });

  it('anything else is an invalid ACK, saying why', () => {
    expect(interpretAck(buildAck(dft('OTHER'), { code: 'AA' }), id)).toEqual({ outcome: 'invalid-ack', detail: `MSA-2 is "OTHER", not this message's control id ${id}` });
    expect(interpretAck('hello', id)).toMatchObject({ outcome: 'invalid-ack', detail: expect.stringContaining('not an HL7 message') });
    expect(interpretAck('MSH|^~\\&|X||Y||20260302||ACK|A1|P|2.5.1', id)).toEqual({ outcome: 'invalid-ack', detail: 'the answer has no MSA segment' });
    expect(interpretAck(`MSH|^~\\&|X||Y||20260302||ACK|A1|P|2.5.1\rMSA|OK|${id}`, id).outcome).toBe('invalid-ack');
  });
});

describe('after an attempt', () => {
  const policy = { maxAttempts: 4, baseMs: 100, maxMs: 1000 };
  const now = new Date('2026-03-02T10:00:00.000Z');

  it('AA or CA: acked', () => {
    expect(nextStepAfter('AA', 1, policy, now)).toEqual({ state: 'acked' });
    expect(nextStepAfter('CA', 4, policy, now)).toEqual({ state: 'acked' });
  });

  it('not-sendable (the case lacks a required field, or the message fails the v2.5.1 check): failed at once, no useless retries', () => {
    expect(nextStepAfter('not-sendable', 1, policy, now)).toEqual({ state: 'failed' });
  });

  it('refused, no answer or no connection: again after the backoff, until the maximum attempts', () => {
    for (const outcome of ['AE', 'AR', 'CE', 'CR', 'timeout', 'connection-error', 'invalid-ack', 'internal-error'] as const) {
      expect(nextStepAfter(outcome, 1, policy, now)).toEqual({ state: 'pending', delayMs: 100, nextAttemptAt: new Date('2026-03-02T10:00:00.100Z') });
      expect(nextStepAfter(outcome, 3, policy, now)).toEqual({ state: 'pending', delayMs: 400, nextAttemptAt: new Date('2026-03-02T10:00:00.400Z') });
      expect(nextStepAfter(outcome, 4, policy, now)).toEqual({ state: 'failed' });
    }
  });
});

describe('how long a claim and a send are a sender\'s alone', () => {
  it('the lease of a batch covers two ACK timeouts per message plus 5 s: 105 s for 5 messages at the default 10 s', () => {
    expect(claimLeaseMs(5, 10_000)).toBe(105_000);
    expect(claimLeaseMs(1, 1_000)).toBe(7_000);
  });

  it('the sending window covers one message (connect and ACK wait) plus the margin, and is shorter than any batch\'s lease', () => {
    expect(sendingWindowMs(10_000)).toBe(20_000 + SENDING_MARK_MARGIN_MS);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 100, max: 120_000 }), (batch, ackTimeoutMs) => {
        expect(sendingWindowMs(ackTimeoutMs)).toBeGreaterThanOrEqual(2 * ackTimeoutMs);
        expect(sendingWindowMs(ackTimeoutMs)).toBeLessThan(claimLeaseMs(batch, ackTimeoutMs));
      }),
    );
  });
});
