/** HL7 table 0357 (message error condition codes) entries this library uses. */
export const HL7_ERROR_CODES = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
} as const;
export type Hl7ErrorCode = keyof typeof HL7_ERROR_CODES;

/** Where an error is and what it is: becomes one ERR segment (ERR-2 segment^sequence^field). */
export interface Hl7Error {
  /** Segment id, e.g. ORC. */
  segment: string;
  /**
   * 1-based occurrence of that segment in the message. An error about a value whose segment is absent
   * altogether names occurrence 1 and the field the value is read from (e.g. PID^1^3); 0 only in the
   * notes (W) about an optional segment that is absent (IN1, SAC).
   */
  sequence: number;
  /** 1-based field position (0 for the segment as a whole). */
  field: number;
  /** Optional 1-based component. */
  component?: number;
  /** Optional 1-based field repetition. */
  repetition?: number;
  /** HL7 table 0357 code. */
  code: Hl7ErrorCode;
  /** Human-readable text for the sender's interface analyst. */
  message: string;
  /** ERR-4 severity: E error (default), W warning, I information. */
  severity?: 'E' | 'W' | 'I';
}

export type AckCode = 'AA' | 'AE' | 'AR';

/** Where a value sits in a message: the ERR-2 part of an error. */
export type Hl7Location = Pick<Hl7Error, 'segment' | 'sequence' | 'field' | 'component' | 'repetition'>;
