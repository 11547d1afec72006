import { parseOrder, type MllpItem, type ParsedOrder } from '@slidecharge/hl7';
import { BarcodeConflictError, CaseCancelledError, CaseNotFoundError, PatientMismatchError } from '../cases/case.errors';
import { acceptedText, caseErrorToHl7, framingError, framingRaw, isLineNoise, printableBytes, refusedOutcome, storableText } from './hl7-intake';

const ORDER = [
  'MSH|^~\\&|LIS|LAB|SLIDECHARGE|PATH|20260701080000||ORM^O01|C-1|P|2.5.1',
  'PID|1||MRN-1^^^^MR',
  'IN1|1||AETNA|Aetna',
  'ORC|NW|PL-1|S26-1',
  // OBR-44 (field 44) holds the procedure code.
  ['OBR', '1', 'PL-1', 'S26-1', '88305^^C4', '', '', '20260701', ...Array<string>(36).fill(''), '88305^^C4'].join('|'),
  'SAC|||S26-1-A1-1|A1',
  'SAC|||S26-1-A1-2|A1',
].join('\r');

function parsed(text = ORDER): ParsedOrder {
  const r = parseOrder(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.order;
}

describe('refusals of the case store as ERR segments', () => {
  it('a barcode of another case -> 205 at the SAC-3 it came from', () => {
    const errors = caseErrorToHl7(new BarcodeConflictError('S26-1', [{ barcode: 'S26-1-A1-2', accessionNumber: 'S26-0' }]), parsed());
    expect(errors).toEqual([
      { segment: 'SAC', sequence: 2, field: 3, component: 1, code: '205', message: 'slide barcode S26-1-A1-2 already belongs to active case S26-0' },
    ]);
  });

  it('an unknown case -> 204 at ORC-3; a cancelled case -> 205 at ORC-3; another patient -> 204 at PID-3', () => {
    const order = parsed();
    expect(caseErrorToHl7(new CaseNotFoundError('S26-1'), order)).toEqual([
      { segment: 'ORC', sequence: 1, field: 3, code: '204', message: 'case S26-1 does not exist: nothing to cancel' },
    ]);
    expect(caseErrorToHl7(new CaseCancelledError('S26-1', 3), order)[0]).toMatchObject({ segment: 'ORC', field: 3, code: '205' });
    expect(caseErrorToHl7(new PatientMismatchError('S26-1', 'MRN-1', 'MRN-2'), order)[0]).toMatchObject({ segment: 'PID', sequence: 1, field: 3, repetition: 1, code: '204' });
  });

  it('the accession read from OBR-3 when ORC-3 is empty is where the error points', () => {
    const order = parsed(ORDER.replace('ORC|NW|PL-1|S26-1', 'ORC|NW|PL-1|'));
    expect(caseErrorToHl7(new CaseCancelledError('S26-1', 3), order)[0]).toMatchObject({ segment: 'OBR', sequence: 1, field: 3 });
  });
});

describe('what the ACK says', () => {
  it.each([
    ['created', 1, 'case S26-1 created (version 1)'],
    ['updated', 2, 'case S26-1 updated (version 2)'],
    ['unchanged', 2, 'case S26-1 unchanged (version 2): the order says what is stored'],
    ['cancelled', 3, 'case S26-1 cancelled (version 3)'],
    ['already-cancelled', 3, 'case S26-1 was already cancelled (version 3)'],
  ] as const)('%s', (outcome, version, text) => {
    expect(acceptedText('S26-1', outcome, version)).toBe(text);
  });

  it('AE is invalid content, AR a rejected message', () => {
    expect(refusedOutcome('AE')).toBe('invalid');
    expect(refusedOutcome('AR')).toBe('rejected');
  });
});

describe('bytes that are not a message', () => {
  const discarded = (bytes: number[], reason: 'outside-frame' | 'unterminated-frame' = 'outside-frame', byteCount = bytes.length): Extract<MllpItem, { kind: 'discarded' }> => ({
    kind: 'discarded',
    reason,
    bytes: Buffer.from(bytes),
    byteCount,
  });

  it('whitespace and NUL between frames are noise; anything else, or an unterminated frame, is not', () => {
    expect(isLineNoise(discarded([0x0d, 0x0a]))).toBe(true);
    expect(isLineNoise(discarded([0x00, 0x20, 0x09]))).toBe(true);
    expect(isLineNoise(discarded([0x0d, 0x41]))).toBe(false);
    expect(isLineNoise(discarded([0x0d], 'unterminated-frame'))).toBe(false);
    // More bytes than were kept: not known to be noise.
    expect(isLineNoise(discarded([0x0a], 'outside-frame', 70_000))).toBe(false);
  });

  it('stored readably: control bytes as \\xHH, CR/LF/TAB kept; NUL in a message becomes U+FFFD', () => {
    expect(printableBytes(Buffer.from([0x47, 0x0b, 0x0d, 0x0a, 0xff, 0x09]))).toBe('G\\x0b\r\n\\xff\t');
    expect(storableText('MSH|\u0000x')).toBe('MSH|\uFFFDx');
    expect(storableText('plain')).toBe('plain');
  });

  it('each framing problem has its sentence at MSH^1^0 with code 100', () => {
    const bytes = Buffer.from('MSH|^~');
    expect(framingError({ kind: 'outside-frame', bytes, byteCount: 6 })).toEqual({
      segment: 'MSH',
      sequence: 1,
      field: 0,
      code: '100',
      message: '6 bytes outside an MLLP frame: send each message as 0x0B, message, 0x1C 0x0D',
    });
    expect(framingError({ kind: 'unterminated-frame', bytes, byteCount: 6 }).message).toMatch(/frame of 6 bytes was not ended/);
    expect(framingError({ kind: 'frame-timeout', bytes, timeoutMs: 500 }).message).toMatch(/no bytes for 500 ms, 6 bytes received/);
    expect(framingError({ kind: 'oversized', limit: 1024 }).message).toBe('message larger than 1024 bytes: not read');
    expect(framingRaw({ kind: 'oversized', limit: 1024 })).toBe('');
    expect(framingRaw({ kind: 'frame-timeout', bytes, timeoutMs: 1 })).toBe('MSH|^~');
  });
});
