import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import {
  buildEvent,
  currentTraceId,
  DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY,
  HandledBatch,
  IncomingMessage,
  inMessageContext,
  OutgoingMessage,
  SqlExecutor,
} from '@slidecharge/messaging';
import { PgTransactions, ServiceRuntime } from '@slidecharge/service-kit';
import { QC_CONFIG, QcConfig } from '../config';
import { QcRepository, toView } from './qc.repository';
import { ListResultsQuery, QcResultPage, QcResultView, QcRulesView, SlideQcView } from './qc.dto';
import { countJudgement } from './qc.metrics';
import { encodeCursor, judgeScan, Judgement } from './verdict';

export const QC_SCHEMA = 'qc';
const SCAN_TOPIC = 'scan.events.v1';

export type ScanHandlingOutcome = 'not-a-completed-scan' | 'scan-already-judged' | 'judged';

interface ScanCandidate {
  message: IncomingMessage<typeof SCAN_TOPIC>;
  judged?: { judgement: Judgement; event: OutgoingMessage<'qc.results.v1'>; traceId: string | null };
}
type JudgedScan = Required<ScanCandidate>;

/** Judges completed scans from scan.events.v1 and answers lab operations' questions about verdicts. */
@Injectable()
export class QcService implements OnApplicationBootstrap {
  /**
   * The consumer's transactions: raw SQL on pg connections of its own (one per partition applied at
   * once), every statement hand-written, without Prisma's per-query cost on the hot path.
   */
  private readonly transactions: PgTransactions;

  constructor(
    @Inject(QC_CONFIG) private readonly config: QcConfig,
    private readonly repository: QcRepository,
    private readonly runtime: ServiceRuntime,
  ) {
    this.transactions = runtime.rawSql('qc-consumer', DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.runtime.logger.info(
      { rulesVersion: this.config.qc.rules.version, source: this.config.qc.source },
      `QC rule set ${this.config.qc.rules.version} in force`,
    );
    const groupId = this.config.QC_CONSUMER_GROUP;
    await this.runtime.consume({
      groupId,
      topics: [SCAN_TOPIC],
      inbox: this.runtime.inbox(groupId, (fn) => this.transactions.transaction(fn)),
      handler: (tx, messages) => this.judgeScans(tx, messages),
    });
  }

  /**
   * The effect of a batch of new scan events, in the transaction that records their ids (libs/messaging
   * applyExactlyOnce): judges the completed scans, stores the verdicts in one insert and returns
   * qc.passed / qc.failed for the outbox. A scan that already has a verdict (reported again under another
   * event id) keeps it and publishes nothing. After the commit: the verdict metrics (in memory), a debug
   * line per event and one info line for the batch (counts, ms).
   */
  async judgeScans(tx: SqlExecutor, messages: readonly IncomingMessage<typeof SCAN_TOPIC>[]): Promise<HandledBatch> {
    const started = Date.now();
    const rules = this.config.qc.rules;
    const candidates = messages.map((message) => inMessageContext(message, () => this.candidate(message, rules)));
    const judged = candidates.filter((c): c is JudgedScan => c.judged !== undefined);
    const inserted = await this.repository.insertAllIfNew(tx, judged.map((c) => ({ judgement: c.judged.judgement, traceId: c.judged.traceId })));
    const stored = judged.filter((c) => inserted.has(c.judged.judgement.verdict.scanEventId));
    const passed = stored.filter((c) => c.judged.judgement.passed).length;
    return {
      outgoing: stored.map((c) => c.judged.event),
      afterCommit: () => {
        const logger = this.runtime.logger;
        for (const c of stored) countJudgement(c.message.value.data.scannerId, c.judged.judgement);
        if (logger.isLevelEnabled('debug')) {
          for (const c of candidates) {
            const outcome: ScanHandlingOutcome = !c.judged ? 'not-a-completed-scan' : inserted.has(c.judged.judgement.verdict.scanEventId) ? 'judged' : 'scan-already-judged';
            inMessageContext(c.message, () => this.logOutcome(c, outcome));
          }
        }
        logger.info(
          {
            events: messages.length,
            judged: stored.length,
            passed,
            failed: stored.length - passed,
            alreadyJudged: judged.length - stored.length,
            notCompleted: candidates.length - judged.length,
            ms: Date.now() - started,
          },
          `${stored.length} scan(s) judged: ${passed} passed, ${stored.length - passed} failed`,
        );
      },
    };
  }

  /** A scan event with its judgement, the verdict event and the trace it was judged in (for a completed scan). */
  private candidate(message: IncomingMessage<typeof SCAN_TOPIC>, rules: QcConfig['qc']['rules']): ScanCandidate {
    const event = message.value;
    if (event.type !== 'scan.completed') return { message };
    const judgement = judgeScan(event, rules, new Date());
    const event_ = buildEvent('qc.results.v1', judgement.eventType, judgement.verdict.slideBarcode, judgement.verdict, { producer: 'qc', occurredAt: judgement.evaluatedAt });
    return { message, judged: { judgement, event: event_, traceId: currentTraceId() ?? null } };
  }

  private logOutcome(c: ScanCandidate, outcome: ScanHandlingOutcome): void {
    const event = c.message.value;
    this.runtime.logger.debug(
      { eventId: event.eventId, type: event.type, scanId: event.data.scanId, slideBarcode: event.data.slideBarcode, outcome },
      `scan event ${outcome}`,
    );
  }

  rulesInForce(): QcRulesView {
    return { source: this.config.qc.source.kind, rules: { ...this.config.qc.rules } };
  }

  async result(scanId: string): Promise<QcResultView | undefined> {
    const row = await this.repository.findByScanId(scanId);
    return row ? toView(row) : undefined;
  }

  async results(query: ListResultsQuery): Promise<QcResultPage> {
    const { rows, more } = await this.repository.list({ passed: query.passed, limit: query.limit, after: query.cursor });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toView),
      nextCursor: more && last ? encodeCursor({ evaluatedAt: last.evaluatedAt, scanId: last.scanId }) : null,
    };
  }

  async slideVerdicts(slideBarcode: string): Promise<SlideQcView> {
    return { slideBarcode, verdicts: (await this.repository.listBySlide(slideBarcode)).map(toView) };
  }
}
