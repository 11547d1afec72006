import fc from 'fast-check';
import { Hl7Context } from '@medplum/core';
import { encodeSegment, escapeHl7, hl7DateToIso, normalizeMessageText, parseMessage, readValue, repetitionCount, unescapeHl7 } from './encoding';

describe('escape sequences', () => {
  it('decodes the standard sequences', () => {
    expect(unescapeHl7('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f')).toBe('a|b^c&d~e\\f');
    expect(unescapeHl7('line1\\.br\\line2')).toBe('line1\nline2');
    expect(unescapeHl7('\\H\\bold\\N\\')).toBe('bold');
    expect(unescapeHl7('Room \\X4142\\')).toBe('Room AB');
  });

  it('is tolerant of unknown sequences and lone escape characters', () => {
    expect(unescapeHl7('\\Zfoo\\ x')).toBe('\\Zfoo\\ x');
    expect(unescapeHl7('C:\\temp')).toBe('C:\\temp');
  });

  it('honours non-default delimiters from MSH-1/MSH-2', () => {
    const ctx = new Hl7Context('\r', '#', '$', '*', '!', '%');
    expect(unescapeHl7('a!F!b!S!c', ctx)).toBe('a#b$c');
    expect(escapeHl7('a#b$c', ctx)).toBe('a!F!b!S!c');
  });

  it('escapes control characters as \\Xhh\\ (NUL, 0x0B, 0x1C, TAB, DEL), CR/LF as \\.br\\', () => {
    expect(escapeHl7('a\x00b\x0bc\x1cd\te\x7ff\r\ng')).toBe('a\\X00\\b\\X0B\\c\\X1C\\d\\X09\\e\\X7F\\f\\.br\\g');
    expect(unescapeHl7('a\\X00\\b\\X0B\\c\\X1C\\d')).toBe('a\x00b\x0bc\x1cd');
  });

  it('property: unescape(escape(s)) === s for text without CR', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => s.replace(/\r/g, '')), (s) => {
        expect(unescapeHl7(escapeHl7(s))).toBe(s);
      }),
    );
  });
});

describe('message text', () => {
  it('normalizes terminators, framing and blank lines', () => {
    expect(normalizeMessageText('\uFEFF\x0bMSH|^~\\&|A\r\n\r\nPID|1  \nOBR|1\r\x1c\r')).toBe('MSH|^~\\&|A\rPID|1\rOBR|1');
  });

  it('reads the HL7 TS date of a timestamp, rejecting impossible dates', () => {
    expect(hl7DateToIso('20260401093000-0500')).toBe('2026-04-01');
    expect(hl7DateToIso('20260230')).toBeUndefined();
    expect(hl7DateToIso('2026')).toBeUndefined();
  });

  const value = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/\r/g, ' ').trim());
  const fieldValue = fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });

  it('property: fields built with encodeSegment read back identically (components and repetitions)', () => {
    fc.assert(
      fc.property(fc.array(fieldValue, { minLength: 1, maxLength: 12 }), (fields) => {
        const text = [
          encodeSegment('MSH', ['APP', 'FAC', 'RCV', 'RFAC', '20260101', undefined, ['ORM', 'O01'], 'ID1', 'P', '2.5.1']),
          encodeSegment('ZZZ', fields.map((reps) => ({ repeat: reps }))),
        ].join('\r');
        const p = parseMessage(text);
        if (!p.ok) throw new Error(p.reason);
        const seg = p.message.getSegment('ZZZ');
        fields.forEach((reps, i) => {
          reps.forEach((comps, r) => {
            if (r >= repetitionCount(seg, i + 1)) {
              // Trailing empty repetitions are dropped when encoding.
              expect(reps.slice(r).every((c) => c.every((v) => v === ''))).toBe(true);
              return;
            }
            comps.forEach((c, ci) => expect(readValue(seg, i + 1, ci + 1, 1, r)).toBe(c));
          });
        });
        expect(readValue(p.message.getSegment('MSH'), 10)).toBe('ID1');
      }),
      { numRuns: 300 },
    );
  });

  it('property: parse then serialize reproduces the (normalized) message text', () => {
    const raw = fc.array(fc.stringMatching(/^[A-Za-z0-9 ^~&\\|.-]{0,40}$/), { maxLength: 6 });
    fc.assert(
      fc.property(fc.array(raw, { maxLength: 6 }), (segments) => {
        const text = ['MSH|^~\\&|A|B|C|D|20260101||ORM^O01|X|P|2.3', ...segments.map((fs) => ['ZXX', ...fs].join('|'))].join('\r');
        const p = parseMessage(text);
        if (!p.ok) throw new Error(p.reason);
        expect(p.message.toString()).toBe(normalizeMessageText(text));
      }),
      { numRuns: 300 },
    );
  });
});
