import { Inject, Injectable } from '@nestjs/common';
import { buildAck, buildOrderResponse, parseOrder, readMessageHeader, type AckCode, type Hl7Error, type OrderMapping, type ParsedOrder } from '@slidecharge/hl7';
import { SpanKind } from '@opentelemetry/api';
import { inSpan, Logger, metricsRegistry } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { Counter } from 'prom-client';
import { ACCESSION_CONFIG, type AccessionConfig } from '../config';
import { CaseError } from '../cases/case.errors';
import { CaseChange, CasesService } from '../cases/cases.service';
import type { Db } from '../cases/case.repository';
import {
  acceptedText,
  acceptedWarnings,
  caseErrorToHl7,
  describeCertificate,
  framingError,
  framingRaw,
  refusedOutcome,
  safeError,
  storableHeader,
  storableText,
  type FramingProblem,
  type Hl7Outcome,
  type Hl7Peer,
  type IntakeResult,
  type StorableHeader,
} from './hl7-intake';
import { Hl7MessageRepository, MessageKey, NewHl7Message, StoredHl7Message } from './hl7-message.repository';
import { orderMappingOf } from './order-mapping.config';
import { SenderAllowListService } from './sender-allow-list.service';

const received = new Counter({
  name: 'slidecharge_hl7_messages_total',
  help: 'HL7 messages received over MLLP, by ACK code and outcome',
  labelNames: ['ack_code', 'outcome'],
  registers: [metricsRegistry],
});

/** Thrown inside a case transaction when another copy of the message was decided first: roll back, answer as a repeat. */
class DecidedElsewhere extends Error {
  constructor() {
    super('another copy of this message (same sender and MSH-10) was decided first');
  }
}

/**
 * Takes HL7 v2 orders in (the text of one MLLP frame each) and applies them through CasesService, the
 * same create/replace/cancel path as REST, so case events go out through the outbox as ever.
 *
 * Every message is stored in hl7_message with the ACK sent. A message that changes a case is stored
 * in the case's own transaction (case change, outbox record and message commit together); a
 * repeat of a decided (sending application, sending facility, MSH-10) gets the stored ACK again and
 * changes nothing. The unique index on that key decides races between copies arriving at once.
 */
/**
 * Takes HL7 v2 orders in (the text of one MLLP frame each) and applies them through CasesService, the
 * same create/replace/cancel path as REST, so case events go out through the outbox as ever.
 *
 * Every message is stored in hl7_message with the ACK sent. A message that changes a case is stored
 * in the case's own transaction (case change, outbox record and message commit together); a
 * repeat of a decided (sending application, sending facility, MSH-10) gets the stored ACK again and
 * changes nothing. The unique index on that key decides races between copies arriving at once.
 *
 * Before anything else: a connection may only send as the MSH-3/MSH-4 the sender allow-list gives it
 * (else AR 204, stored as sender-not-allowed, which holds no key: a spoofed copy of another sender's
 * MSH-10 never blocks the real one). Fields over their HL7 length or holding control characters are
 * refused by parseOrder (AR/AE 102, final). Log lines carry ids, MSH-10, type and outcome, never the
 * message text (it is PHI: names, birth dates, addresses).
 */
@Injectable()
export class Hl7IntakeService {
  private readonly log: Logger;
  private readonly mapping: OrderMapping;

  constructor(
    private readonly cases: CasesService,
    private readonly messages: Hl7MessageRepository,
    private readonly senders: SenderAllowListService,
    runtime: ServiceRuntime,
    @Inject(ACCESSION_CONFIG) private readonly config: Pick<AccessionConfig, 'ACCESSION_HL7_ORDER_MERGE' | 'ACCESSION_HL7_SLIDE_BARCODE_FIELD' | 'ACCESSION_HL7_RETRIEVAL_DATE_FIELD'>,
  ) {
    this.mapping = orderMappingOf(config);
    this.log = runtime.logger.child({ component: 'hl7-intake' });
  }

  /**
   * One message in, its ACK out, in a span of its own (HL7 carries no trace context: the trace starts
   * here; the span names the message type and the ACK code, nothing of the message). Never throws: our
   * own failure is AR 207 (send again later).
   */
  async receive(rawText: string, from?: Hl7Peer): Promise<IntakeResult> {
    const raw = storableText(rawText);
    const header = storableHeader(readMessageHeader(raw));
    const attributes = { 'network.transport': 'tcp', ...(header.messageType ? { 'hl7.message_type': header.messageType.slice(0, 20) } : {}) };
    return inSpan({ name: 'hl7 receive', kind: SpanKind.SERVER, attributes }, async (span) => {
      const result = await this.decideAndLog(raw, header, from);
      span.setAttribute('hl7.ack_code', result.ackCode);
      return result;
    });
  }

  private async decideAndLog(raw: string, header: StorableHeader, from: Hl7Peer | undefined): Promise<IntakeResult> {
    const base = baseRecord(raw, header, from);
    let result: IntakeResult;
    try {
      result = await this.decide(raw, header, base, from);
    } catch (error) {
      result = await this.failed(raw, base, error);
    }
    received.inc({ ack_code: result.ackCode, outcome: result.outcome });
    const line = {
      peer: from?.peer,
      messageId: result.messageId,
      controlId: header.controlId,
      sendingApplication: header.sendingApplication,
      sendingFacility: header.sendingFacility,
      messageType: header.messageType,
      accessionNumber: result.accessionNumber ?? header.accessionNumber,
      caseVersion: result.caseVersion,
      ackCode: result.ackCode,
      outcome: result.outcome,
    };
    if (result.ackCode === 'AA') this.log.info(line, 'HL7 message accepted');
    else this.log.warn(line, `HL7 message answered ${result.ackCode}`);
    return result;
  }

  /** Bytes that were not a complete MLLP frame: stored as a framing error, answered AR. */
  async framing(problem: FramingProblem, from?: Hl7Peer): Promise<IntakeResult> {
    const partial = problem.kind === 'oversized' ? '' : storableText(problem.bytes.toString('utf8'));
    const header = storableHeader(readMessageHeader(partial));
    const error = framingError(problem);
    const ack = buildAck(partial, { code: 'AR', errors: [error] });
    const record: NewHl7Message = {
      ...baseRecord(framingRaw(problem), header, from),
      ackCode: 'AR',
      outcome: 'framing-error',
      reason: error.message,
      errors: [error],
      ack,
    };
    const messageId = await this.messages.insert(record).catch((err: unknown) => {
      this.log.error({ err: safeError(err), peer: from?.peer, problem: problem.kind }, 'could not store an MLLP framing error');
      return undefined;
    });
    received.inc({ ack_code: 'AR', outcome: 'framing-error' });
    this.log.warn({ peer: from?.peer, messageId, problem: problem.kind, reason: error.message }, 'MLLP framing error answered AR');
    return { ack, ackCode: 'AR', outcome: 'framing-error', ...(messageId !== undefined ? { messageId } : {}) };
  }

  private async decide(raw: string, header: StorableHeader, base: BaseRecord, from: Hl7Peer | undefined): Promise<IntakeResult> {
    const sender = this.senders.verdict(from ?? {}, header.sendingApplication, header.sendingFacility);
    if (!sender.allowed) {
      // Decided before the repeat check: a spoofed sender neither gets another sender's stored ACK nor holds its key.
      return this.answer(raw, base, undefined, { ackCode: 'AR', outcome: 'sender-not-allowed', errors: [sender.error] });
    }
    const key: MessageKey | undefined = header.key;
    if (key) {
      const original = await this.messages.findOriginal(key);
      if (original) return this.repeat(original, base);
    }

    const parsed = parseOrder(raw, this.mapping);
    if (!parsed.ok) {
      return this.answer(raw, base, key, { ackCode: parsed.ackCode, outcome: refusedOutcome(parsed.ackCode), errors: parsed.errors });
    }
    const order = parsed.order;
    const orderBase = { ...base, accessionNumber: order.accessionNumber, orderControl: order.orderControl };
    let accepted: IntakeResult | undefined;
    const record = async (tx: Db, change: CaseChange): Promise<void> => {
      const text = acceptedText(order.accessionNumber, change.outcome, change.snapshot.version);
      const warnings = acceptedWarnings(order, change.snapshot);
      const ack = buildOrderResponse(raw, { code: 'AA', text, errors: warnings });
      const row: NewHl7Message = { ...orderBase, ackCode: 'AA', outcome: change.outcome, caseVersion: change.snapshot.version, reason: text, errors: warnings, ack };
      const messageId = await this.messages.insert(row, tx);
      if (messageId === undefined) throw new DecidedElsewhere();
      accepted = { ack, ackCode: 'AA', outcome: change.outcome, messageId, accessionNumber: order.accessionNumber, caseVersion: change.snapshot.version };
    };

    try {
      await this.apply(order, record, orderActor(base));
    } catch (error) {
      if (error instanceof DecidedElsewhere && key) return this.repeatOf(key, base);
      if (error instanceof CaseError) {
        return this.answer(raw, orderBase, key, { ackCode: 'AE', outcome: 'refused', errors: caseErrorToHl7(error, order) });
      }
      throw error;
    }
    if (!accepted) throw new Error('the case transaction committed without recording the message');
    return accepted;
  }

  /**
   * Applies the order as ACCESSION_HL7_ORDER_MERGE says: per specimen (each ORC/OBR group adds,
   * changes or cancels its specimens) or per case (the order is the whole case).
   */
  private apply(order: ParsedOrder, record: (tx: Db, change: CaseChange) => Promise<void>, actor: string): Promise<CaseChange> {
    if (this.config.ACCESSION_HL7_ORDER_MERGE === 'specimen') return this.applyPerSpecimen(order, record, actor);
    if (order.action === 'cancel') {
      return this.cases.cancel(order.accessionNumber, order.cancelReason, {
        inTransaction: record,
        ...(order.patientId !== undefined ? { patientId: order.patientId } : {}),
      });
    }
    return this.cases.replace(order.accessionNumber, order.case, { keepSlidesWhenNone: true, inTransaction: record, actor });
  }

  private applyPerSpecimen(order: ParsedOrder, record: (tx: Db, change: CaseChange) => Promise<void>, actor: string): Promise<CaseChange> {
    if (order.action === 'cancel') {
      const cancel = { specimenIds: order.specimenIds, reason: order.cancelReason, ...(order.patientId !== undefined ? { patientId: order.patientId } : {}) };
      return this.cases.cancelSpecimens(order.accessionNumber, cancel, { inTransaction: record });
    }
    return this.cases.mergeSpecimens(order.accessionNumber, { details: order.case, cancelledSpecimenIds: order.cancelledSpecimenIds }, { inTransaction: record, actor });
  }

  /** Stores a message answered AE/AR; a copy decided concurrently wins and this one becomes its repeat. */
  private async answer(
    raw: string,
    base: BaseRecord,
    key: MessageKey | undefined,
    decision: { ackCode: Exclude<AckCode, 'AA'>; outcome: Hl7Outcome; errors: Hl7Error[] },
  ): Promise<IntakeResult> {
    const ack = buildOrderResponse(raw, { code: decision.ackCode, errors: decision.errors });
    const reason = decision.errors[0]?.message;
    const messageId = await this.messages.insert({ ...base, ...decision, reason, ack });
    if (messageId === undefined && key) return this.repeatOf(key, base);
    return { ack, ackCode: decision.ackCode, outcome: decision.outcome, ...(messageId !== undefined ? { messageId } : {}) };
  }

  private async repeatOf(key: MessageKey, base: BaseRecord): Promise<IntakeResult> {
    const original = await this.messages.findOriginal(key);
    if (!original) throw new Error(`message ${key.controlId} was decided elsewhere but is not stored`);
    return this.repeat(original, base);
  }

  /** A repeat of a decided message: the same ACK, nothing applied, stored as a duplicate of the original. */
  private async repeat(original: StoredHl7Message, base: BaseRecord): Promise<IntakeResult> {
    const reason = `repeat of message ${original.id} (MSH-10 ${original.controlId ?? ''}, ${original.outcome}): answered with its ACK, nothing applied`;
    const messageId = await this.messages.insert({
      ...base,
      accessionNumber: base.accessionNumber ?? original.accessionNumber,
      ackCode: original.ackCode,
      outcome: 'duplicate',
      caseVersion: original.caseVersion,
      reason,
      errors: [],
      ack: original.ack,
      duplicateOf: original.id,
    });
    return {
      ack: original.ack,
      ackCode: original.ackCode,
      outcome: 'duplicate',
      ...(messageId !== undefined ? { messageId } : {}),
      ...(original.accessionNumber ? { accessionNumber: original.accessionNumber } : {}),
      ...(original.caseVersion !== undefined ? { caseVersion: original.caseVersion } : {}),
    };
  }

  /**
   * Our own failure (database down, a bug): AR 207 so the sender sends again; stored when the database
   * lets us. Only here is 207 answered: refusals of the message itself are final (1xx/2xx).
   */
  private async failed(raw: string, base: BaseRecord, error: unknown): Promise<IntakeResult> {
    const err: Hl7Error = {
      segment: 'MSH',
      sequence: 1,
      field: 0,
      code: '207',
      message: 'the message could not be processed now (receiver error); send it again later',
    };
    const ack = buildOrderResponse(raw, { code: 'AR', errors: [err] });
    const about = { controlId: base.controlId, sendingApplication: base.sendingApplication, messageType: base.messageType, peer: base.peer };
    this.log.error({ err: safeError(error), ...about }, 'HL7 message could not be processed; answered AR 207');
    const messageId = await this.messages
      .insert({ ...base, ackCode: 'AR', outcome: 'error', reason: `${err.message}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2000), errors: [err], ack })
      .catch((storeError: unknown) => {
        // Not kept anywhere: the sender has it and sends it again after the AR 207. Its text is PHI: never logged.
        this.log.error({ err: safeError(storeError), ...about }, 'could not store the HL7 message either; the sender is asked to send it again');
        return undefined;
      });
    return { ack, ackCode: 'AR', outcome: 'error', ...(messageId !== undefined ? { messageId } : {}) };
  }
}

type BaseRecord = Omit<NewHl7Message, 'ackCode' | 'outcome' | 'errors' | 'ack'>;

/** Who moved a slide through an order, for the slide_move record: the sender and the message (MSH-3^MSH-4, MSH-10). */
function orderActor(base: BaseRecord): string {
  return `HL7 order ${base.sendingApplication}^${base.sendingFacility} MSH-10 ${base.controlId}`.slice(0, 200);
}

function baseRecord(raw: string, header: StorableHeader, from: Hl7Peer | undefined): BaseRecord {
  return {
    peer: from?.peer,
    clientCertificate: describeCertificate(from?.certificate),
    raw,
    sendingApplication: header.sendingApplication,
    sendingFacility: header.sendingFacility,
    controlId: header.controlId,
    messageType: header.messageType,
    version: header.version,
    orderControl: header.orderControl,
    accessionNumber: header.accessionNumber,
  };
}
