import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { Logger, writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { LOGGER, PG_SCHEMA, SERVICE_NAME } from '../config';
import { PrismaService } from '../prisma.service';
import { BatchAnswer, BatchItemAnswer, IngestAnswer } from './api';
import { ReceiptRepository } from './receipt.repository';
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
 * Takes scanner-middleware events from both doors (HTTP and scanner.ingress.v1) through one function:
 * receipt + outbox in one transaction, de-duplicated by the middleware event id.
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
    const answer = await this.record(event, receivedVia, origin);
    if (answer.status === 'accepted') this.runtime.wakeRelay();
    return answer;
  }

  /**
   * Processes a batch element by element, in order: invalid elements are answered `rejected` with their
   * issues and the others go through ingest's transaction one at a time. A failure of the database
   * stops the batch with an error; what was committed before stays, and a retry of the whole batch
   * answers those elements `duplicate`.
   */
  async ingestBatch(elements: readonly unknown[], receivedVia: ReceivedVia, origin: IngestOrigin = {}): Promise<BatchAnswer> {
    const results: BatchItemAnswer[] = [];
    let wrote = false;
    try {
      for (const element of validateBatchElements(elements)) {
        if (!element.ok) {
          results.push({ index: element.index, eventId: element.eventId, status: 'rejected', issues: element.issues });
          continue;
        }
        const answer = await this.record(element.event, receivedVia, origin);
        wrote ||= answer.status === 'accepted';
        results.push({ index: element.index, ...answer });
      }
    } finally {
      if (wrote) this.runtime.wakeRelay();
    }
    const count = (status: BatchItemAnswer['status']) => results.filter((r) => r.status === status).length;
    return { results, accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected') };
  }

  private async record(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia, origin: IngestOrigin): Promise<IngestAnswer> {
    const message = scanEventMessage(event, receivedVia);
    const outcome = await this.prisma.$transaction(async (tx) => {
      if (await this.receipts.insertIfNew(tx, event, receivedVia, origin)) {
        await writeOutbox(tx, PG_SCHEMA, [message]);
        const rescan = event.eventType === 'scan.completed' && (await this.receipts.slideCompletedBefore(tx, event.slideBarcode, message.value.data.scanId));
        return { status: 'accepted' as const, rescan };
      }
      return { status: 'duplicate' as const, original: await this.receipts.find(event.eventId, tx) };
    });
    if (outcome.status === 'accepted') {
      scanMetrics.scans.inc({ scanner: event.scannerId, type: scanTypeLabel(event.eventType) });
      if (outcome.rescan) scanMetrics.rescans.inc({ scanner: event.scannerId });
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
    const original = outcome.original;
    const sameContent = original ? isDeepStrictEqual(original.payload, JSON.parse(JSON.stringify(event))) : false;
    const details = { eventId: event.eventId, receivedVia, firstReceivedVia: original?.receivedVia, firstReceivedAt: original?.receivedAt };
    if (sameContent) this.log.debug(details, 'duplicate scan event ignored');
    else this.log.warn(details, 'event id already received with different content; the first copy stands');
    return { eventId: event.eventId, status: 'duplicate', scanId: original?.scanId ?? scanIdOf(event) };
  }
}
