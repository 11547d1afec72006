import { z } from 'zod';
import { HL7_OUTCOMES } from './hl7-intake';

/** Shapes of the HL7 message API (GET /hl7/messages, GET /hl7/messages/{id}). */

const Hl7ErrorItem = z.object({
  segment: z.string().describe('Segment id, e.g. ORC (ERR-2.1)'),
  sequence: z.int().describe('Which occurrence of the segment, 1-based; 0 when the segment is missing (ERR-2.2)'),
  field: z.int().describe('Field position, 1-based; 0 for the segment as a whole (ERR-2.3)'),
  repetition: z.int().optional().describe('Field repetition, 1-based (ERR-2.4)'),
  component: z.int().optional().describe('Component, 1-based (ERR-2.5)'),
  code: z
    .string()
    .describe(
      'HL7 table 0357 code (ERR-3): 100 segment, 101 required field missing, 102 data type (also a field over its length or with a control character, a case over the size limit), ' +
        '103 table value, 200/201 message type/event, 203 version, 204 unknown key (also a sender not allowed on the connection), 205 duplicate key, 207 application error; 0 for information',
    ),
  message: z.string().describe('What was wrong (ERR-8)'),
  severity: z.enum(['E', 'W', 'I']).optional().describe('ERR-4: E error (default), W warning, I information'),
});

export const Hl7MessageSummary = z.object({
  id: z.int().describe('Id of the stored message'),
  receivedAt: z.string().describe('When it was received (ISO 8601)'),
  peer: z.string().optional().describe('Address:port of the MLLP connection'),
  clientCertificate: z.string().optional().describe('The verified client certificate of a mutual-TLS connection: CN=<subject CN> SHA256=<fingerprint>'),
  sendingApplication: z.string().describe('MSH-3 as sent'),
  sendingFacility: z.string().describe('MSH-4 as sent'),
  controlId: z.string().optional().describe('MSH-10 message control id'),
  messageType: z.string().optional().describe('MSH-9 type^trigger, e.g. ORM^O01'),
  version: z.string().optional().describe('MSH-12'),
  orderControl: z.string().optional().describe('ORC-1 of the first ORC'),
  accessionNumber: z.string().optional().describe('ORC-3 / OBR-3 filler order number'),
  ackCode: z.enum(['AA', 'AE', 'AR']).describe('MSA-1 of the ACK sent'),
  outcome: z.enum(HL7_OUTCOMES).describe(
    'created | updated | unchanged | cancelled | already-cancelled (AA); refused (AE: the case store said no, e.g. a cancelled case or a slide barcode of another case); ' +
      'invalid (AE: a field is missing or wrong); rejected (AR: message type, version, order control or unreadable); ' +
      'duplicate (a repeat of a decided sender + MSH-10: the same ACK again, nothing applied); error (AR 207: our failure, send again); ' +
      'framing-error (AR: bytes that were not a complete MLLP frame); sender-not-allowed (AR 204: this connection may not send as this MSH-3/MSH-4, ' +
      'see ACCESSION_MLLP_SENDERS_FILE; does not hold the MSH-10 key)',
  ),
  caseVersion: z.int().optional().describe('Case version after the message (AA)'),
  reason: z.string().optional().describe('MSA-3 / the first error, in a sentence'),
  duplicateOf: z.int().optional().describe('For a duplicate: the id of the message it repeats'),
});
export type Hl7MessageSummary = z.infer<typeof Hl7MessageSummary>;

export const Hl7MessageDetail = Hl7MessageSummary.extend({
  raw: z.string().describe('The message as received, segments separated by CR (a NUL byte is stored as the HL7 escape \\X00\\; framing errors show other bytes as \\xHH)'),
  ack: z.string().describe('The ACK sent, as sent'),
  errors: z.array(Hl7ErrorItem).describe('The ERR segments of the ACK'),
});
export type Hl7MessageDetail = z.infer<typeof Hl7MessageDetail>;

export const Hl7MessagePage = z.object({
  items: z.array(Hl7MessageSummary),
  nextCursor: z.string().optional().describe('Pass as ?cursor= to read the next (older) page; absent on the last page.'),
});
export type Hl7MessagePage = z.infer<typeof Hl7MessagePage>;

const optionalTrimmed = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v));

/** GET /hl7/messages query. */
export const ListHl7MessagesQuery = z.object({
  controlId: optionalTrimmed(199),
  accession: optionalTrimmed(64),
  outcome: z.enum(HL7_OUTCOMES).optional(),
  ackCode: z.enum(['AA', 'AE', 'AR']).optional(),
  sendingApplication: optionalTrimmed(227),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,10}$/, 'not a cursor this API returned (use nextCursor of the previous page)')
    .optional()
    .transform((v) => (v === undefined ? undefined : Number.parseInt(v, 10))),
});
export type ListHl7MessagesQuery = z.output<typeof ListHl7MessagesQuery>;

export const Hl7MessagePathParams = z.object({
  id: z.coerce.number({ error: 'a message id (a positive whole number)' }).int('a message id (a positive whole number)').min(1).max(2_147_483_647),
});
