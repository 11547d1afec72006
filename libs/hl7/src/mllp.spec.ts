import fc from 'fast-check';
import { frame, MllpDecoder, type MllpItem } from './mllp';

const msg = 'MSH|^~\\&|A|B|C|D|20260101||ACK|1|P|2.5.1\rMSA|AA|1';

/** Splits a buffer at the given cut points (sorted, de-duplicated). */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const ps = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of ps) {
    out.push(buf.subarray(last, p));
    last = p;
  }
  out.push(buf.subarray(last));
  return out;
}

describe('MLLP framing', () => {
  it('frame wraps in 0x0B ... 0x1C 0x0D', () => {
    const f = frame('AB');
    expect([...f]).toEqual([0x0b, 0x41, 0x42, 0x1c, 0x0d]);
  });

  it('decodes one frame, concatenated frames, and frames split at every byte', () => {
    const d = new MllpDecoder();
    expect(d.push(frame(msg))).toEqual([msg]);
    expect(d.push(Buffer.concat([frame('one'), frame('two'), frame('three')]))).toEqual(['one', 'two', 'three']);
    const bytes = Buffer.concat([frame('x|y'), frame(msg)]);
    const got: string[] = [];
    for (const b of bytes) got.push(...d.push(Buffer.from([b])));
    expect(got).toEqual(['x|y', msg]);
    expect(d.pendingBytes).toBe(0);
  });

  it('end marker split between chunks (0x1C | 0x0D)', () => {
    const d = new MllpDecoder();
    const f = frame('hello');
    expect(d.push(f.subarray(0, f.length - 1))).toEqual([]);
    expect(d.push(f.subarray(f.length - 1))).toEqual(['hello']);
  });

  it('0x1C not followed by 0x0D is payload; bytes outside frames are skipped and counted', () => {
    const d = new MllpDecoder();
    const body = Buffer.from([0x41, 0x1c, 0x42]);
    expect(d.push(Buffer.concat([Buffer.from('junk\r\n'), frame(body)]))).toEqual(['A\x1cB']);
    expect(d.discardedBytes).toBe(6);
  });

  it('a new start block abandons an unfinished frame', () => {
    const d = new MllpDecoder();
    expect(d.push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('half'), frame('whole')]))).toEqual(['whole']);
  });

  it('multi-byte UTF-8 characters split across chunks survive', () => {
    const text = 'MSH|^~\\&|Zoë|Ünïcødé|日本';
    const f = frame(text);
    const d = new MllpDecoder();
    const got: string[] = [];
    for (const part of cut(f, [6, 7, 8, 20, 21])) got.push(...d.push(part));
    expect(got).toEqual([text]);
  });

  it('drops frames larger than maxMessageBytes and recovers', () => {
    const d = new MllpDecoder({ maxMessageBytes: 8 });
    expect(d.push(Buffer.concat([frame('0123456789'), frame('small')]))).toEqual(['small']);
    expect(d.oversized).toBe(1);
  });

  it('property: any messages, framed, concatenated and cut anywhere, decode to the same messages', () => {
    const payload = fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.split(String.fromCharCode(0x0b)).join('').split(String.fromCharCode(0x1c)).join(''));
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, points) => {
        const stream = Buffer.concat(messages.map((m) => frame(m)));
        const d = new MllpDecoder();
        const got = cut(stream, points).flatMap((c) => d.push(c));
        expect(got).toEqual(messages);
        expect(d.pendingBytes).toBe(0);
        expect(d.discardedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MllpDecoder.read: what was thrown away, in stream order', () => {
  const kinds = (items: MllpItem[]) =>
    items.map((i) => (i.kind === 'message' ? `message:${i.text}` : i.kind === 'discarded' ? `${i.reason}:${i.byteCount}:${i.bytes.toString('latin1')}` : `oversized:${i.limit}`));

  it('bytes outside frames, an unterminated frame and an oversized frame are reported between the messages', () => {
    const d = new MllpDecoder({ maxMessageBytes: 8 });
    const stream = Buffer.concat([Buffer.from('GET / HTTP/1.1'), frame('one'), Buffer.from([0x0b]), Buffer.from('half'), frame('0123456789'), frame('two')]);
    expect(kinds(d.read(stream))).toEqual(['outside-frame:14:GET / HTTP/1.1', 'message:one', 'unterminated-frame:4:half', 'oversized:8', 'message:two']);
  });

  it('garbage split over chunks is reported per chunk; abandon() returns an open frame', () => {
    const d = new MllpDecoder();
    expect(kinds(d.read(Buffer.from('ab')))).toEqual(['outside-frame:2:ab']);
    expect(kinds(d.read(Buffer.concat([Buffer.from('c'), Buffer.from([0x0b]), Buffer.from('MSH|partial'), Buffer.from([0x1c])])))).toEqual(['outside-frame:1:c']);
    expect(d.inFrame).toBe(true);
    expect(d.abandon()?.toString('latin1')).toBe('MSH|partial\x1c');
    expect(d.inFrame).toBe(false);
    expect(d.abandon()).toBeUndefined();
    expect(d.push(frame('next'))).toEqual(['next']);
  });

  it('property: garbage without start blocks between frames never costs a message, and is counted exactly', () => {
    const payload = fc.string({ maxLength: 60 }).map((s) => s.split(String.fromCharCode(0x0b)).join('').split(String.fromCharCode(0x1c)).join(''));
    const junk = fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0b)));
    fc.assert(
      fc.property(fc.array(fc.tuple(junk, payload), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (parts, points) => {
        const stream = Buffer.concat(parts.flatMap(([j, m]) => [j, frame(m)]));
        const d = new MllpDecoder();
        const items = cut(stream, points).flatMap((c) => d.read(c));
        expect(items.flatMap((i) => (i.kind === 'message' ? [i.text] : []))).toEqual(parts.map(([, m]) => m));
        const discarded = items.reduce((n, i) => n + (i.kind === 'discarded' ? i.byteCount : 0), 0);
        expect(discarded).toBe(parts.reduce((n, [j]) => n + j.length, 0));
      }),
      { numRuns: 300 },
    );
  });
});
