import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import {
  currentTraceId,
  DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY,
  firstOfEachId,
  HandledBatch,
  IncomingMessage,
  inMessageContext,
  Logger,
  SqlExecutor,
  writeOutbox,
} from '@slidecharge/messaging';
import { PgTransactions, ServiceRuntime } from '@slidecharge/service-kit';
import { CONFIG, LOGGER, PG_SCHEMA, ServiceConfig } from '../config';
import { BatchAnswer, BatchItemAnswer, IngestAnswer } from './api';
import { FirstCopy, ReceiptOrigin, ReceiptRepository } from './receipt.repository';
import { scanMetrics, scanTypeLabel } from './scan.metrics';
import { ReceivedVia, scanEventMessage, scanIdOf, validateBatchElements } from './scan-normalizer';

/** Where an HTTP event came from, kept on its receipt: the API client whose key sent it, and for an event made from a DICOM instance the attributes it was made from. */
export type IngestOrigin = ReceiptOrigin;

const INGRESS_TOPIC = 'scanner.ingress.v1';

/** HTTP and DICOM requests whose transactions run at once; more wait for a connection. */
const HTTP_TRANSACTIONS = 5;

/** A validated middleware event about to be recorded: the scan event made from it, the trace it came under, and how to run code in its context (its correlation id and span). */
interface Arrival {
  event: ScannerMiddlewareEvent;
  scanEvent: ScanEventMessage;
  traceId: string | null;
  within: <R>(fn: () => R) => R;
}

/** What recording a batch of events did: one answer per event, in order, the scan events for the outbox, and what follows the commit. */
interface Recorded {
  answers: IngestAnswer[];
  outgoing: ScanEventMessage[];
  afterCommit: () => void;
}

/**
 * Takes scanner-middleware events from every door (HTTP, single, batch or DICOM, and the ingress topic
 * scanner.ingress.v1) through one function, `record`: receipts, de-duplicated by the middleware event
 * id, and the scan events for the outbox, of a whole batch in one transaction with a fixed number of
 * statements (multi-row inserts; one read of the first copies of repeats, one of the slides' earlier
 * completed scans). HTTP and DICOM run it in a transaction of their own; the ingress topic is consumed
 * by batch, exactly once (ServiceRuntime.consume), in the transaction that records the message ids.
 * Both on pg connections of their own (every statement is hand-written SQL), without Prisma's
 * per-query cost.
 */
@Injectable()
export class ScanIngestService implements OnApplicationBootstrap {
  private readonly log: Logger;
  /** The ingest's transactions: one per partition of the ingress topic applied at once, and HTTP_TRANSACTIONS for the HTTP doors. */
  private readonly transactions: PgTransactions;

  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly runtime: ServiceRuntime,
    @Inject(LOGGER) logger: Logger,
    @Inject(CONFIG) private readonly config: ServiceConfig,
  ) {
    this.log = logger.child({ component: 'scan-ingest' });
    this.transactions = runtime.rawSql('scanner-events-ingest', DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY + HTTP_TRANSACTIONS);
  }

  async onApplicationBootstrap(): Promise<void> {
    const groupId = this.config.SCANNER_INGRESS_CONSUMER_GROUP;
    await this.runtime.consume({
      groupId,
      topics: [INGRESS_TOPIC],
      inbox: this.runtime.inbox(groupId, (fn) => this.transactions.transaction(fn)),
      handler: (tx, messages) => this.ingestMessages(tx, messages),
    });
  }

  /** Processes one validated middleware event and wakes the outbox relay when it wrote a scan event. */
  async ingest(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia, origin: IngestOrigin = {}): Promise<IngestAnswer> {
    const [answer] = await this.recordAlone([event], receivedVia, origin);
    return answer as IngestAnswer;
  }

  /**
   * Processes a batch: invalid elements are answered `rejected` with their issues, and the others are
   * written together in ONE transaction (record). An event id already received, or repeated within the
   * batch, is answered `duplicate` (the first copy stands). A failure of the database fails the whole
   * batch with an error and writes nothing: a retry of the batch answers as the first attempt would have.
   */
  async ingestBatch(elements: readonly unknown[], receivedVia: ReceivedVia, origin: IngestOrigin = {}): Promise<BatchAnswer> {
    const validated = validateBatchElements(elements);
    const valid = validated.flatMap((e) => (e.ok ? [e] : []));
    const answers = await this.recordAlone(valid.map((e) => e.event), receivedVia, origin);
    const byIndex = new Map(valid.map((e, i) => [e.index, answers[i] as IngestAnswer]));
    const results: BatchItemAnswer[] = validated.map((e) =>
      e.ok ? { index: e.index, ...(byIndex.get(e.index) as IngestAnswer) } : { index: e.index, eventId: e.eventId, status: 'rejected', issues: e.issues },
    );
    const count = (status: BatchItemAnswer['status']) => results.filter((r) => r.status === status).length;
    return { results, accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected') };
  }

  /**
   * The effect of a batch of new messages of the ingress topic, in the consumer's transaction (which
   * records their ids and writes the returned scan events to the outbox): record, each event built and
   * traced in its message's context.
   */
  async ingestMessages(tx: SqlExecutor, messages: readonly IncomingMessage<typeof INGRESS_TOPIC>[]): Promise<HandledBatch> {
    const started = Date.now();
    const arrivals = messages.map((message) => inMessageContext(message, () => this.arrival(message.value, 'kafka', (fn) => inMessageContext(message, fn))));
    const recorded = await this.record(tx, arrivals, 'kafka', {}, started);
    return { outgoing: recorded.outgoing, afterCommit: recorded.afterCommit };
  }

  /** record in a transaction of its own (the HTTP and DICOM doors), then the relay woken. */
  private async recordAlone(events: readonly ScannerMiddlewareEvent[], receivedVia: ReceivedVia, origin: IngestOrigin): Promise<IngestAnswer[]> {
    if (events.length === 0) return [];
    const started = Date.now();
    const arrivals = events.map((event) => this.arrival(event, receivedVia, (fn) => fn()));
    const recorded = await this.transactions.transaction(async (tx) => {
      const done = await this.record(tx, arrivals, receivedVia, origin, started);
      await writeOutbox(tx, PG_SCHEMA, done.outgoing);
      return done;
    });
    if (recorded.outgoing.length > 0) this.runtime.wakeRelay();
    recorded.afterCommit();
    return recorded.answers;
  }

  private arrival(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia, within: Arrival['within']): Arrival {
    return { event, scanEvent: scanEventMessage(event, receivedVia), traceId: currentTraceId() ?? null, within };
  }

  /**
   * Records the events in the caller's transaction, in a fixed number of statements: the receipts of
   * the first copy of each event id in one insert (the ids already there are repeats), the first copies
   * of the repeats in one read, the earlier completed scans of the slides in one read. Returns one
   * answer per event, in order, and the scan events of the accepted ones for the outbox. Metrics and
   * log lines wait for the commit: a debug line per event and one info line for the batch (counts, ms).
   */
  private async record(tx: SqlExecutor, arrivals: readonly Arrival[], receivedVia: ReceivedVia, origin: IngestOrigin, started: number): Promise<Recorded> {
    const { firsts } = firstOfEachId(arrivals, (a) => a.event.eventId);
    const inserted = await this.receipts.insertNew(tx, firsts, receivedVia, origin);
    const accepted = new Set(firsts.filter((a) => inserted.has(a.event.eventId)));
    const repeats = arrivals.filter((a) => !accepted.has(a));
    const originals = new Map((await this.receipts.firstCopies(tx, repeats.map((a) => a.event.eventId))).map((r) => [r.eventId, r]));
    const rescans = await this.rescansAmong(tx, [...accepted]);
    const answers = arrivals.map((a): IngestAnswer => ({
      eventId: a.event.eventId,
      status: accepted.has(a) ? 'accepted' : 'duplicate',
      scanId: accepted.has(a) ? a.scanEvent.value.data.scanId : (originals.get(a.event.eventId)?.scanId ?? scanIdOf(a.event)),
    }));
    return {
      answers,
      outgoing: [...accepted].map((a) => a.scanEvent),
      afterCommit: () => {
        for (const a of accepted) this.counted(a, rescans.has(a));
        if (this.log.isLevelEnabled('debug')) for (const a of accepted) a.within(() => this.logAccepted(a, receivedVia, origin));
        for (const a of repeats) this.logRepeat(a, receivedVia, originals.get(a.event.eventId));
        this.log.info(
          {
            receivedVia,
            ...(origin.apiClientId ? { apiClientId: origin.apiClientId } : {}),
            ...(origin.dicom ? { source: 'dicom' } : {}),
            events: arrivals.length,
            accepted: accepted.size,
            alreadyReceived: repeats.length,
            rescans: rescans.size,
            ms: Date.now() - started,
          },
          'scan events recorded',
        );
      },
    };
  }

  /**
   * The accepted completed scans that are rescans: their slide had a completed scan under another scan
   * id before them (received earlier, or earlier in this batch).
   */
  private async rescansAmong(tx: SqlExecutor, accepted: readonly Arrival[]): Promise<Set<Arrival>> {
    const completed = accepted.filter((a) => a.event.eventType === 'scan.completed');
    const seen = await this.receipts.completedScans(
      tx,
      completed.map((a) => a.event.slideBarcode),
      accepted.map((a) => a.event.eventId),
    );
    const rescans = new Set<Arrival>();
    for (const a of completed) {
      const scanId = a.scanEvent.value.data.scanId;
      const scans = seen.get(a.event.slideBarcode) ?? new Set<string>();
      if ([...scans].some((s) => s !== scanId)) rescans.add(a);
      seen.set(a.event.slideBarcode, scans.add(scanId));
    }
    return rescans;
  }

  private counted(a: Arrival, rescan: boolean): void {
    scanMetrics.scans.inc({ scanner: a.event.scannerId, type: scanTypeLabel(a.event.eventType) });
    if (rescan) scanMetrics.rescans.inc({ scanner: a.event.scannerId });
  }

  private logAccepted(a: Arrival, receivedVia: ReceivedVia, origin: IngestOrigin): void {
    this.log.debug(
      {
        eventId: a.event.eventId,
        scanId: a.scanEvent.value.data.scanId,
        slideBarcode: a.event.slideBarcode,
        type: a.event.eventType,
        receivedVia,
        scanEventId: a.scanEvent.value.eventId,
        ...(origin.apiClientId ? { apiClientId: origin.apiClientId } : {}),
        ...(origin.dicom ? { source: 'dicom' } : {}),
      },
      'scan event accepted',
    );
  }

  /** A repeat of an event id: debug when it is the same event, a warning when its content differs (the first copy stands). */
  private logRepeat(a: Arrival, receivedVia: ReceivedVia, original: FirstCopy | undefined): void {
    const sameContent = original ? isDeepStrictEqual(original.payload, JSON.parse(JSON.stringify(a.event))) : false;
    if (sameContent && !this.log.isLevelEnabled('debug')) return;
    const details = { eventId: a.event.eventId, receivedVia, firstReceivedVia: original?.receivedVia, firstReceivedAt: original?.receivedAt };
    a.within(() => {
      if (sameContent) this.log.debug(details, 'duplicate scan event ignored');
      else this.log.warn(details, 'event id already received with different content; the first copy stands');
    });
  }
}

type ScanEventMessage = ReturnType<typeof scanEventMessage>;
