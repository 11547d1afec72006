import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { buildEvent, IncomingMessage, markConsumed, writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { QC_CONFIG, QcConfig } from '../config';
import { PrismaService } from '../prisma.service';
import { QcRepository, toView } from './qc.repository';
import { ListResultsQuery, QcResultPage, QcResultView, QcRulesView, SlideQcView } from './qc.dto';
import { countJudgement } from './qc.metrics';
import { encodeCursor, judgeScan, Judgement } from './verdict';

export const QC_SCHEMA = 'qc';
export const QC_CONSUMER_GROUP = 'qc';
const SCAN_TOPIC = 'scan.events.v1';

export type ScanHandlingOutcome = 'duplicate-event' | 'not-a-completed-scan' | 'scan-already-judged' | 'judged';

/** Judges completed scans from scan.events.v1 and answers lab operations' questions about verdicts. */
@Injectable()
export class QcService implements OnApplicationBootstrap {
  constructor(
    @Inject(QC_CONFIG) private readonly config: QcConfig,
    private readonly prisma: PrismaService,
    private readonly repository: QcRepository,
    private readonly runtime: ServiceRuntime,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runtime.logger.info(
      { rulesVersion: this.config.qc.rules.version, source: this.config.qc.source },
      `QC rule set ${this.config.qc.rules.version} in force`,
    );
    await this.runtime.subscribe({
      groupId: QC_CONSUMER_GROUP,
      topics: [SCAN_TOPIC],
      handler: async (message) => {
        await this.handleScanEvent(message);
      },
    });
  }

  /**
   * One transaction: record the event id (a redelivered event stops here), judge a completed scan,
   * store the verdict and write qc.passed / qc.failed to the outbox. A scan that already has a verdict
   * (reported again under another event id) keeps it and publishes nothing.
   */
  async handleScanEvent(message: IncomingMessage<typeof SCAN_TOPIC>): Promise<ScanHandlingOutcome> {
    const event = message.value;
    const rules = this.config.qc.rules;
    let judged: Judgement | undefined;
    const outcome = await this.prisma.$transaction(async (tx): Promise<ScanHandlingOutcome> => {
      judged = undefined;
      if (!(await markConsumed(tx, QC_SCHEMA, QC_CONSUMER_GROUP, event.eventId, message.topic))) return 'duplicate-event';
      if (event.type !== 'scan.completed') return 'not-a-completed-scan';
      const judgement = judgeScan(event, rules, new Date());
      if (!(await this.repository.insertIfNew(tx, judgement))) return 'scan-already-judged';
      judged = judgement;
      const verdict = judgement.verdict;
      await writeOutbox(tx, QC_SCHEMA, [
        buildEvent('qc.results.v1', judgement.eventType, verdict.slideBarcode, verdict, {
          producer: 'qc',
          occurredAt: judgement.evaluatedAt,
        }),
      ]);
      return 'judged';
    });
    if (outcome === 'judged') this.runtime.wakeRelay();
    if (judged) countJudgement(event.data.scannerId, judged);
    this.runtime.logger.info(
      { eventId: event.eventId, type: event.type, scanId: event.data.scanId, slideBarcode: event.data.slideBarcode, outcome },
      `scan event ${outcome}`,
    );
    return outcome;
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
