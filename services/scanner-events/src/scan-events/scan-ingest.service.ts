import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { Logger, OutgoingMessage, writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { LOGGER, PG_SCHEMA, SERVICE_NAME } from '../config';
import { PrismaService } from '../prisma.service';
import { BatchAnswer, BatchItemAnswer, IngestAnswer } from './api';
import { Db, ReceiptRepository, ReceiptRow } from './receipt.repository';
import { scanMetrics, scanTypeLabel } from './scan.metrics';
import { ReceivedVia, scanEventMessage, scanIdOf, validateBatchElements } from './scan-normalizer';

/** Where an HTTP event came from, kept on its receipt. */
export interface IngestOrigin {
  /** The API client whose key sent it. */
  apiClientId?: string | undefined;
  /** For an event made from a DICOM instance: the DICOM attributes it was made from. */
  dicom?: Record<string, unknown> | undefined;
}

/** Kafka consumer group of the ingress topic. */
export const INGRESS_GROUP_ID = SERVICE_NAME;

/**
 * Takes scanner-middleware events from both doors (HTTP, single, batch or DICOM, and scanner.ingress.v1)
 * through one function: the receipts and outbox records of a request in one transaction, with
 * multi-row inserts, de-duplicated by the middleware event id.
 */
@Injectable()
export class ScanIngestService implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly prisma: PrismaService,
    private readonly receipts: ReceiptRepository,
    private readonly runtime: ServiceRuntime,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'scan-ingest' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.subscribe({
      groupId: INGRESS_GROUP_ID,
      topics: ['scanner.ingress.v1'],
      handler: async (message) => {
        await this.ingest(message.value, 'kafka');
      },
    });
  }

  /** Processes one validated middleware event and wakes the outbox relay when it wrote a scan event. */
  async ingest(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia, origin: IngestOrigin = {}): Promise<IngestAnswer> {
    const [answer] = await this.recordAll([event], receivedVia, origin);
    return answer as IngestAnswer;
  }

  /**
   * Processes a batch: invalid elements are answered `rejected` with their issues, and the others are
   * written together in ONE transaction (receipts, outbox records: one multi-row statement each). An
   * event id already received, or repeated within the batch, is answered `duplicate` (the first copy
   * stands). A failure of the database fails the whole batch with an error and writes nothing: a
   * retry of the batch answers as the first attempt would have.
   */
  async ingestBatch(elements: readonly unknown[], receivedVia: ReceivedVia, origin: IngestOrigin = {}): Promise<BatchAnswer> {
    const validated = validateBatchElements(elements);
    const valid = validated.flatMap((e) => (e.ok ? [e] : []));
    const answers = await this.recordAll(valid.map((e) => e.event), receivedVia, origin);
    const byIndex = new Map(valid.map((e, i) => [e.index, answers[i] as IngestAnswer]));
    const results: BatchItemAnswer[] = validated.map((e) =>
      e.ok ? { index: e.index, ...(byIndex.get(e.index) as IngestAnswer) } : { index: e.index, eventId: e.eventId, status: 'rejected', issues: e.issues },
    );
    const count = (status: BatchItemAnswer['status']) => results.filter((r) => r.status === status).length;
    return { results, accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected') };
  }

  /** Writes the events in one transaction; one answer per event, in order. Wakes the relay when it wrote any. */
  private async recordAll(events: readonly ScannerMiddlewareEvent[], receivedVia: ReceivedVia, origin: IngestOrigin): Promise<IngestAnswer[]> {
    if (events.length === 0) return [];
    const messages = events.map((event) => scanEventMessage(event, receivedVia));
    const firstCopies = firstOfEachId(events);
    const written = await this.prisma.$transaction(async (tx) => {
      const inserted = await this.receipts.insertNew(tx, firstCopies.map((i) => events[i] as ScannerMiddlewareEvent), receivedVia, origin);
      const accepted = firstCopies.filter((i) => inserted.has((events[i] as ScannerMiddlewareEvent).eventId));
      await writeOutbox(tx, PG_SCHEMA, accepted.map((i) => messages[i] as OutgoingMessage));
      const acceptedSet = new Set(accepted);
      const repeats = events.filter((_, i) => !acceptedSet.has(i)).map((e) => e.eventId);
      const originals = new Map((await this.receipts.findMany(repeats, tx)).map((r) => [r.eventId, r]));
      const rescans = await this.rescansAmong(tx, accepted.map((i) => ({ event: events[i] as ScannerMiddlewareEvent, scanId: (messages[i] as ScanEventMessage).value.data.scanId })));
      return { acceptedSet, originals, rescans };
    });
    if (written.acceptedSet.size > 0) this.runtime.wakeRelay();
    return events.map((event, i) => {
      const message = messages[i] as ScanEventMessage;
      if (written.acceptedSet.has(i)) return this.accepted(event, message, receivedVia, origin, written.rescans.has(event.eventId));
      return this.duplicate(event, receivedVia, written.originals.get(event.eventId));
    });
  }

  /**
   * The accepted completed scans that are rescans: their slide had a completed scan under another scan
   * id before them (received earlier, or earlier in this batch).
   */
  private async rescansAmong(tx: Db, accepted: { event: ScannerMiddlewareEvent; scanId: string }[]): Promise<Set<string>> {
    const completed = accepted.filter((a) => a.event.eventType === 'scan.completed');
    const seen = await this.receipts.completedScans(
      tx,
      completed.map((a) => a.event.slideBarcode),
      accepted.map((a) => a.event.eventId),
    );
    const rescans = new Set<string>();
    for (const { event, scanId } of completed) {
      const scans = seen.get(event.slideBarcode) ?? new Set<string>();
      if ([...scans].some((s) => s !== scanId)) rescans.add(event.eventId);
      seen.set(event.slideBarcode, scans.add(scanId));
    }
    return rescans;
  }

  private accepted(event: ScannerMiddlewareEvent, message: ScanEventMessage, receivedVia: ReceivedVia, origin: IngestOrigin, rescan: boolean): IngestAnswer {
    scanMetrics.scans.inc({ scanner: event.scannerId, type: scanTypeLabel(event.eventType) });
    if (rescan) scanMetrics.rescans.inc({ scanner: event.scannerId });
    this.log.info(
      {
        eventId: event.eventId,
        scanId: message.value.data.scanId,
        slideBarcode: event.slideBarcode,
        type: event.eventType,
        receivedVia,
        scanEventId: message.value.eventId,
        ...(origin.apiClientId ? { apiClientId: origin.apiClientId } : {}),
        ...(origin.dicom ? { source: 'dicom' } : {}),
      },
      'scan event accepted',
    );
    return { eventId: event.eventId, status: 'accepted', scanId: message.value.data.scanId };
  }

  private duplicate(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia, original: ReceiptRow | undefined): IngestAnswer {
    const sameContent = original ? isDeepStrictEqual(original.payload, JSON.parse(JSON.stringify(event))) : false;
    const details = { eventId: event.eventId, receivedVia, firstReceivedVia: original?.receivedVia, firstReceivedAt: original?.receivedAt };
    if (sameContent) this.log.debug(details, 'duplicate scan event ignored');
    else this.log.warn(details, 'event id already received with different content; the first copy stands');
    return { eventId: event.eventId, status: 'duplicate', scanId: original?.scanId ?? scanIdOf(event) };
  }
}

type ScanEventMessage = ReturnType<typeof scanEventMessage>;

/** Positions of the first copy of each event id, in order (a later copy in the same batch is a repeat). */
function firstOfEachId(events: readonly ScannerMiddlewareEvent[]): number[] {
  const seen = new Set<string>();
  const first: number[] = [];
  events.forEach((e, i) => {
    if (seen.has(e.eventId)) return;
    seen.add(e.eventId);
    first.push(i);
  });
  return first;
}
