import { Injectable } from '@nestjs/common';
import type { AckCode, Hl7Error } from '@slidecharge/hl7';
import { Prisma } from '../generated/prisma/client';
import type { Db } from '../cases/case.repository';
import { PrismaService } from '../prisma.service';
import type { Hl7Outcome } from './hl7-intake';

/** One received message as it is stored (table accession.hl7_message). */
export interface NewHl7Message {
  peer?: string | undefined;
  /** The verified client certificate of a mutual-TLS connection: `CN=<cn> SHA256=<hex>`. */
  clientCertificate?: string | undefined;
  sendingApplication: string;
  sendingFacility: string;
  controlId?: string | undefined;
  messageType?: string | undefined;
  version?: string | undefined;
  orderControl?: string | undefined;
  accessionNumber?: string | undefined;
  raw: string;
  ackCode: AckCode;
  outcome: Hl7Outcome;
  caseVersion?: number | undefined;
  reason?: string | undefined;
  errors: Hl7Error[];
  ack: string;
  duplicateOf?: number | undefined;
}

export interface StoredHl7Message extends NewHl7Message {
  id: number;
  receivedAt: Date;
}

/** The sender's identity and MSH-10: what makes a message a repeat. */
export interface MessageKey {
  sendingApplication: string;
  sendingFacility: string;
  controlId: string;
}

export interface Hl7MessageFilter {
  controlId?: string | undefined;
  accessionNumber?: string | undefined;
  outcome?: Hl7Outcome | undefined;
  ackCode?: AckCode | undefined;
  sendingApplication?: string | undefined;
  /** Only messages with a smaller id (the page before). */
  beforeId?: number | undefined;
  limit: number;
}

type Row = Awaited<ReturnType<PrismaService['hl7Message']['findFirstOrThrow']>>;

function fromRow(row: Row): StoredHl7Message {
  return {
    id: row.id,
    receivedAt: row.receivedAt,
    peer: row.peer ?? undefined,
    clientCertificate: row.clientCertificate ?? undefined,
    sendingApplication: row.sendingApplication,
    sendingFacility: row.sendingFacility,
    controlId: row.controlId ?? undefined,
    messageType: row.messageType ?? undefined,
    version: row.version ?? undefined,
    orderControl: row.orderControl ?? undefined,
    accessionNumber: row.accessionNumber ?? undefined,
    raw: row.raw,
    ackCode: row.ackCode as AckCode,
    outcome: row.outcome as Hl7Outcome,
    caseVersion: row.caseVersion ?? undefined,
    reason: row.reason ?? undefined,
    errors: row.errors as unknown as Hl7Error[],
    ack: row.ack,
    duplicateOf: row.duplicateOf ?? undefined,
  };
}

/**
 * Outcomes that do not hold the (sender, MSH-10) key: see the partial index hl7_message_original_key
 * (migration 0005). A message refused because its connection may not send as its MSH-3/MSH-4
 * (sender-not-allowed) must not block the real sender's message with the same MSH-10.
 */
const NOT_ORIGINAL: Hl7Outcome[] = ['duplicate', 'error', 'framing-error', 'sender-not-allowed'];

@Injectable()
export class Hl7MessageRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a message; returns its id, or undefined when it would be a second original of the same
   * sender and MSH-10 (another copy of the message was decided first, possibly concurrently: this
   * waits for that transaction to end). Pass `tx` to store it inside a case transaction.
   */
  async insert(message: NewHl7Message, tx: Db = this.prisma): Promise<number | undefined> {
    const m = message;
    const rows = await tx.$queryRaw<{ id: number }[]>`
      INSERT INTO "accession"."hl7_message"
        (peer, client_certificate, sending_application, sending_facility, control_id, message_type, version, order_control, accession_number,
         raw, ack_code, outcome, case_version, reason, errors, ack, duplicate_of)
      VALUES (${m.peer ?? null}, ${m.clientCertificate ?? null}, ${m.sendingApplication}, ${m.sendingFacility}, ${m.controlId ?? null}, ${m.messageType ?? null},
              ${m.version ?? null}, ${m.orderControl ?? null}, ${m.accessionNumber ?? null}, ${m.raw}, ${m.ackCode}, ${m.outcome},
              ${m.caseVersion ?? null}::int, ${m.reason ?? null}, ${JSON.stringify(m.errors)}::jsonb, ${m.ack}, ${m.duplicateOf ?? null}::int)
      ON CONFLICT (sending_application, sending_facility, control_id)
        WHERE control_id IS NOT NULL AND outcome NOT IN ('duplicate', 'error', 'framing-error', 'sender-not-allowed')
        DO NOTHING
      RETURNING id`;
    return rows[0]?.id;
  }

  /** The message that decided this sender's MSH-10 (what a repeat is answered with), if any. */
  async findOriginal(key: MessageKey): Promise<StoredHl7Message | undefined> {
    const row = await this.prisma.hl7Message.findFirst({
      where: { ...key, outcome: { notIn: NOT_ORIGINAL } },
      orderBy: { id: 'asc' },
    });
    return row ? fromRow(row) : undefined;
  }

  /**
   * Deletes messages received before `before`, `batch` rows per statement (short locks, no long
   * transaction); returns how many. A repeat whose original is deleted keeps its row (duplicate_of
   * becomes NULL); a message resent after its original was deleted is processed as a new one.
   */
  async purgeReceivedBefore(before: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.prisma.$executeRaw`
        DELETE FROM "accession"."hl7_message"
        WHERE id IN (SELECT id FROM "accession"."hl7_message" WHERE received_at < ${before} ORDER BY id LIMIT ${batch})`;
      total += deleted;
      if (deleted < batch) return total;
    }
  }

  async get(id: number): Promise<StoredHl7Message | undefined> {
    const row = await this.prisma.hl7Message.findUnique({ where: { id } });
    return row ? fromRow(row) : undefined;
  }

  /** Newest first. */
  async list(filter: Hl7MessageFilter): Promise<StoredHl7Message[]> {
    const where: Prisma.Hl7MessageWhereInput = {
      ...(filter.controlId !== undefined ? { controlId: filter.controlId } : {}),
      ...(filter.accessionNumber !== undefined ? { accessionNumber: filter.accessionNumber } : {}),
      ...(filter.outcome !== undefined ? { outcome: filter.outcome } : {}),
      ...(filter.ackCode !== undefined ? { ackCode: filter.ackCode } : {}),
      ...(filter.sendingApplication !== undefined ? { sendingApplication: filter.sendingApplication } : {}),
      ...(filter.beforeId !== undefined ? { id: { lt: filter.beforeId } } : {}),
    };
    const rows = await this.prisma.hl7Message.findMany({ where, orderBy: { id: 'desc' }, take: filter.limit });
    return rows.map(fromRow);
  }
}
