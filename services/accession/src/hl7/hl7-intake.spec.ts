import { parseOrder, readMessageHeader, type MllpItem, type ParsedOrder } from '@slidecharge/hl7';
import { BarcodeConflictError, CaseCancelledError, CaseNotFoundError, CaseTooLargeError, PatientMismatchError } from '../cases/case.errors';
import {
  acceptedText,
  acceptedWarnings,
  caseErrorToHl7,
  describeCertificate,
  framingError,
  framingRaw,
  isLineNoise,
  printableBytes,
  refusedOutcome,
  safeError,
  storableHeader,
  storableText,
  visibleControls,
} from './hl7-intake';

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
    expect(caseErrorToHl7(new PatientMismatchError('S26-1'), order)[0]).toMatchObject({ segment: 'PID', sequence: 1, field: 3, repetition: 1, code: '204' });
  });

  it('a cancel naming another patient -> 204 at PID-3 whose text names no patient (neither the sent nor the case\'s)', () => {
    const [error] = caseErrorToHl7(new PatientMismatchError('S26-1'), parsed());
    expect(error?.message).toBe('the patient id sent does not match the patient of case S26-1; check the accession number and the patient id (nothing was cancelled)');
  });

  it('a case over the size limit -> 102 at the order (ORC-3), final', () => {
    expect(caseErrorToHl7(new CaseTooLargeError('S26-1', 300_000, 262_144), parsed())).toEqual([
      { segment: 'ORC', sequence: 1, field: 3, code: '102', message: 'case S26-1 is 300000 bytes as a case event; at most 262144 bytes are accepted (fewer slides or shorter texts per case)' },
    ]);
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

  it('stored readably: control bytes as \\xHH, CR/LF/TAB kept; NUL in a message becomes its HL7 escape \\X00\\ (U+FFFD without MSH-2)', () => {
    expect(printableBytes(Buffer.from([0x47, 0x0b, 0x0d, 0x0a, 0xff, 0x09]))).toBe('G\\x0b\r\n\\xff\t');
    expect(storableText('MSH|^~\\&|LIS\rPID|1||MRN\u00001')).toBe('MSH|^~\\&|LIS\rPID|1||MRN\\X00\\1');
    expect(storableText('MSH|^~!&|LIS\u0000')).toBe('MSH|^~!&|LIS!X00!');
    expect(storableText('garbage\u0000')).toBe('garbage\uFFFD');
    expect(storableText('plain')).toBe('plain');
  });

  it('a raw NUL inside PID-3 is then refused like \\X00\\ (AE 102 at PID^1^3), never accepted as another character', () => {
    const r = parseOrder(storableText(ORDER.replace('MRN-1', 'MRN\u00001')));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.segment}^${e.sequence}^${e.field}:${e.code}`)).toEqual(['PID^1^3:102']);
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
    expect(framingError({ kind: 'frame-timeout', bytes, timeoutMs: 500 }).message).toMatch(/within 500 ms of its first byte \(6 bytes received\)/);
    expect(framingError({ kind: 'oversized', limit: 1024 }).message).toBe('message larger than 1024 bytes: not read');
    expect(framingRaw({ kind: 'oversized', limit: 1024 })).toBe('');
    expect(framingRaw({ kind: 'frame-timeout', bytes, timeoutMs: 1 })).toBe('MSH|^~');
  });
});

describe('the header as stored: bounded columns, and a key only when it fits', () => {
  const header = (msh: string) => storableHeader(readMessageHeader(`${msh}\rORC|NW|PL-1|S26-1`));

  it('a normal header: every column, and the key MSH-3 + MSH-4 + MSH-10 as sent', () => {
    expect(header('MSH|^~\\&|LIS^1.2^ISO|LAB|SC|PATH|20260701||ORM^O01|C-1|P|2.5.1')).toEqual({
      sendingApplication: 'LIS^1.2^ISO',
      sendingFacility: 'LAB',
      controlId: 'C-1',
      messageType: 'ORM^O01',
      version: '2.5.1',
      orderControl: 'NW',
      accessionNumber: 'S26-1',
      key: { sendingApplication: 'LIS^1.2^ISO', sendingFacility: 'LAB', controlId: 'C-1' },
    });
  });

  it('an MSH-10 of 3000 characters or with a control character, an MSH-3 of 3000: no key, control_id NULL, columns cut to their HL7 length', () => {
    const long = header(`MSH|^~\\&|LIS|LAB|SC|PATH|20260701||ORM^O01|${'X'.repeat(3000)}|P|2.5.1`);
    expect(long.key).toBeUndefined();
    expect(long.controlId).toBeUndefined();
    const nul = header('MSH|^~\\&|LIS|LAB|SC|PATH|20260701||ORM^O01|C\\X00\\1|P|2.5.1');
    expect(nul).toMatchObject({ sendingApplication: 'LIS' });
    expect(nul.key).toBeUndefined();
    const app = header(`MSH|^~\\&|${'A'.repeat(3000)}|LAB|SC|PATH|20260701||ORM^O01|C-1|P|2.5.1`);
    expect(app.key).toBeUndefined();
    expect(app.sendingApplication).toHaveLength(227);
  });

  it('no header: empty sender, no key', () => {
    expect(storableHeader(undefined)).toEqual({ sendingApplication: '', sendingFacility: '' });
  });

  it('visibleControls, describeCertificate, safeError', () => {
    expect(visibleControls('a\u0000b\u000bc\u001cd\te')).toBe('a\\X00\\b\\X0B\\c\\X1C\\d\\X09\\e');
    expect(describeCertificate({ subjectCN: 'lis-a', sha256: 'AB'.repeat(32) })).toBe(`CN=lis-a SHA256=${'AB'.repeat(32)}`);
    expect(describeCertificate(undefined)).toBeUndefined();
    const pg = Object.assign(new Error('\nInvalid `prisma.hl7Message.create()` invocation:\n\nFailing row contains (MRN-1, Jane Doe).\nRaw query failed. Code: `22021`.'), { code: 'P2010' });
    expect(safeError(pg)).toEqual({ type: 'Error', code: 'P2010', message: 'Raw query failed. Code: `22021`.' });
    expect(safeError('x')).toEqual({ type: 'string', message: 'non-Error thrown' });
  });
});

describe('acceptedWarnings', () => {
  it('a case stored without slides gets a W warning first; with slides, or cancelled, only the parser warnings', () => {
    const r = parseOrder(ORDER);
    if (!r.ok) throw new Error('expected an order');
    const warnings = acceptedWarnings(r.order, { status: 'active', slides: [] });
    expect(warnings[0]).toMatchObject({ segment: 'SAC', sequence: 0, severity: 'W', message: expect.stringContaining('scans cannot match until slides are sent') });
    expect(warnings[0]?.message.length).toBeLessThanOrEqual(80);
    expect(acceptedWarnings(r.order, { status: 'active', slides: [{ barcode: 'S-1', specimenId: 'A' }] })).toEqual(r.order.warnings);
    expect(acceptedWarnings(r.order, { status: 'cancelled', slides: [] })).toEqual(r.order.warnings);
  });
});
