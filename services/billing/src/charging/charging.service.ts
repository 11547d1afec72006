import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { decideDigitizationCharges, DigitizationPolicy } from '@slidecharge/billing-rules';
import { TopicName } from '@slidecharge/contracts';
import {
  buildEvent,
  ContractViolationError,
  IncomingMessage,
  markConsumed,
  OutgoingMessage,
  RejectedMessageError,
  writeOutbox,
} from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig, digitizationPolicy } from '../config';
import { PrismaService } from '../prisma.service';
import { BILLING_SCHEMA, BillingRepository, Db } from './billing.repository';
import { chargePostedEventIdFor } from './charge-id';
import { caseLockKey, postedChargeChanges, scanStatusOf, slideLockKey, toCharge } from './facts';

/** The name billing records consumed events under (the same whatever the consumer group). */
export const BILLING_CONSUMER = 'billing';
export const BILLING_TOPICS = ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1'] as const satisfies readonly TopicName[];
export type BillingTopic = (typeof BILLING_TOPICS)[number];

export type HandlingOutcome =
  | 'duplicate-event'
  | 'stale-case-version'
  | 'case-applied'
  | 'scan-unchanged'
  | 'scan-unmatched'
  | 'scan-applied'
  | 'qc-repeat'
  | 'qc-unmatched'
  | 'qc-applied';

export interface HandlingResult {
  outcome: HandlingOutcome;
  /** Charges this event posted (their chargeKeys). */
  posted: string[];
}

/** Interactive transactions run at most this long (a case may carry up to 2000 slides). */
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 10_000 };

/**
 * Turns case, scan and QC facts into digitization charges, exactly once.
 *
 * Each event is handled in ONE transaction: record its id (a redelivered event stops there), lock the
 * slides it concerns, store its facts, decide with the billing rules for each case it affects, insert
 * the new charges (unique by chargeKey) and their charge.posted events into the outbox. A crash
 * anywhere rolls all of it back and Kafka redelivers the event; the outbox relay publishes committed
 * events at least once with stable ids.
 */
@Injectable()
export class ChargingService implements OnApplicationBootstrap {
  readonly policy: DigitizationPolicy;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly prisma: PrismaService,
    private readonly repository: BillingRepository,
    private readonly runtime: ServiceRuntime,
  ) {
    this.policy = digitizationPolicy(config);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.runtime.logger.info(
      {
        requireQcPass: this.policy.requireQcPass,
        billablePurposes: this.policy.billablePurposes,
        groupId: this.config.BILLING_CONSUMER_GROUP,
        consumers: this.config.BILLING_CONSUMERS,
      },
      'digitization policy in force',
    );
    // Several members of the one group: partitions are handled in parallel. Safe, because handlers
    // serialize on advisory locks per slide and case, and charges are unique by chargeKey. They
    // subscribe together so that they join the group in one rebalance.
    await this.runtime.start();
    await Promise.all(
      Array.from({ length: this.config.BILLING_CONSUMERS }, () =>
        this.runtime.subscribe({
          groupId: this.config.BILLING_CONSUMER_GROUP,
          topics: BILLING_TOPICS,
          handler: async (message) => {
            await this.handle(message);
          },
        }),
      ),
    );
  }

  async handle(message: IncomingMessage<BillingTopic>): Promise<HandlingResult> {
    const started = Date.now();
    const result = await this.prisma.$transaction(async (tx) => {
      if (!(await markConsumed(tx, BILLING_SCHEMA, BILLING_CONSUMER, message.value.eventId, message.topic))) {
        return { outcome: 'duplicate-event' as const, posted: [] };
      }
      switch (message.topic) {
        case 'lis.case-events.v1':
          return this.applyCaseEvent(tx, message as IncomingMessage<'lis.case-events.v1'>);
        case 'scan.events.v1':
          return this.applyScanEvent(tx, message as IncomingMessage<'scan.events.v1'>);
        case 'qc.results.v1':
          return this.applyQcEvent(tx, message as IncomingMessage<'qc.results.v1'>);
      }
    }, TRANSACTION_OPTIONS);
    if (result.posted.length > 0) this.runtime.wakeRelay();
    this.runtime.logger.info(
      {
        topic: message.topic,
        eventId: message.value.eventId,
        type: message.value.type,
        key: message.key,
        outcome: result.outcome,
        posted: result.posted,
        ms: Date.now() - started,
      },
      `${message.value.type} ${result.outcome}${result.posted.length ? `; posted ${result.posted.join(', ')}` : ''}`,
    );
    return result;
  }

  private async applyCaseEvent(tx: Db, message: IncomingMessage<'lis.case-events.v1'>): Promise<HandlingResult> {
    const snapshot = message.value.data;
    const accession = snapshot.accessionNumber;
    // The case lock first (versions of one case serialize), then the slides it had and will have.
    await this.repository.lock(tx, [caseLockKey(accession)]);
    const stored = await this.repository.storedCase(tx, accession);
    if (stored && snapshot.version <= stored.version) {
      this.runtime.logger.info(
        { accessionNumber: accession, version: snapshot.version, storedVersion: stored.version },
        `case ${accession} version ${snapshot.version} ignored: version ${stored.version} is already applied`,
      );
      return { outcome: 'stale-case-version', posted: [] };
    }
    const barcodes = new Set([...(stored?.barcodes ?? []), ...snapshot.slides.map((s) => s.barcode)]);
    await this.repository.lock(tx, [...barcodes].map(slideLockKey));
    const moved = await this.repository.replaceCase(tx, snapshot, new Date());
    for (const m of moved) {
      this.runtime.logger.warn(
        { barcode: m.barcode, fromAccession: m.fromAccession, toAccession: accession },
        `slide ${m.barcode} moved from case ${m.fromAccession} to case ${accession}`,
      );
    }
    const posted = await this.evaluate(tx, [accession], { reportDrift: stored !== undefined });
    return { outcome: 'case-applied', posted };
  }

  private async applyScanEvent(tx: Db, message: IncomingMessage<'scan.events.v1'>): Promise<HandlingResult> {
    const event = message.value;
    const scan = event.data;
    await this.repository.lock(tx, [slideLockKey(scan.slideBarcode)]);
    const { changed, accessionNumber } = await this.repository.upsertScan(
      tx,
      {
        scanId: scan.scanId,
        slideBarcode: scan.slideBarcode,
        status: scanStatusOf(event.type),
        purpose: scan.purpose,
        scannerId: scan.scannerId,
        scannedAt: scan.scannedAt,
        sourceEventId: event.eventId,
      },
      new Date(),
    );
    if (!changed) return { outcome: 'scan-unchanged', posted: [] };
    if (!accessionNumber) return { outcome: 'scan-unmatched', posted: [] };
    return { outcome: 'scan-applied', posted: await this.evaluate(tx, [accessionNumber]) };
  }

  private async applyQcEvent(tx: Db, message: IncomingMessage<'qc.results.v1'>): Promise<HandlingResult> {
    const event = message.value;
    const verdict = event.data;
    await this.repository.lock(tx, [slideLockKey(verdict.slideBarcode)]);
    const { recorded, accessionNumber } = await this.repository.recordQc(
      tx,
      {
        scanId: verdict.scanId,
        sourceEventId: event.eventId,
        slideBarcode: verdict.slideBarcode,
        passed: event.type === 'qc.passed',
        reasons: verdict.reasons,
        rulesVersion: verdict.rulesVersion,
      },
      new Date(),
    );
    if (!recorded) return { outcome: 'qc-repeat', posted: [] };
    if (!accessionNumber) return { outcome: 'qc-unmatched', posted: [] };
    return { outcome: 'qc-applied', posted: await this.evaluate(tx, [accessionNumber]) };
  }

  /**
   * Decides the cases again from everything stored and posts the charges they newly earn. Returns
   * the chargeKeys posted. With reportDrift, posted charges that no longer match the case are logged
   * (they stay as posted: credits are a later feature).
   */
  private async evaluate(tx: Db, accessionNumbers: string[], options: { reportDrift?: boolean } = {}): Promise<string[]> {
    const posted: string[] = [];
    for (const loaded of await this.repository.loadCases(tx, accessionNumbers)) {
      if (options.reportDrift) {
        for (const charge of loaded.charges) {
          const changes = postedChargeChanges(charge, loaded.facts);
          if (changes.length === 0) continue;
          this.runtime.logger.info(
            { accessionNumber: loaded.facts.accessionNumber, chargeId: charge.chargeId, chargeKey: charge.chargeKey, version: loaded.version, changes },
            `posted charge ${charge.chargeKey} no longer matches case ${loaded.facts.accessionNumber} version ${loaded.version} ` +
              `(${changes.join('; ')}); left as posted. Billing does not credit automatically yet (issue #3): review it by hand`,
          );
        }
      }
      const decisions = decideDigitizationCharges({
        case: loaded.facts,
        scans: loaded.scans,
        qcResults: loaded.qcResults,
        existingChargeKeys: loaded.charges.map((c) => c.chargeKey),
        policy: this.policy,
      });
      if (decisions.length === 0) continue;
      const postedAt = new Date();
      const charges = decisions.map((d) => toCharge(d, postedAt));
      // Built (and so validated against the contract) before anything is written.
      const events = new Map(charges.map((c) => [c.chargeId, this.chargePostedEvent(c, postedAt)]));
      const inserted = await this.repository.insertCharges(tx, charges);
      const outgoing = charges.filter((c) => inserted.has(c.chargeId)).map((c) => events.get(c.chargeId) as OutgoingMessage);
      await writeOutbox(tx, BILLING_SCHEMA, outgoing);
      posted.push(...charges.filter((c) => inserted.has(c.chargeId)).map((c) => c.chargeKey));
    }
    return posted;
  }

  private chargePostedEvent(charge: ReturnType<typeof toCharge>, postedAt: Date): OutgoingMessage<'billing.charges.v1'> {
    try {
      return buildEvent('billing.charges.v1', 'charge.posted', charge.accessionNumber, charge, {
        producer: 'billing',
        eventId: chargePostedEventIdFor(charge.chargeId),
        occurredAt: postedAt,
      });
    } catch (e) {
      // Deterministic: retrying cannot help, so the event goes to the dead-letter topic at once.
      if (e instanceof ContractViolationError) throw new RejectedMessageError(`charge ${charge.chargeKey} would break the contract: ${e.message}`);
      throw e;
    }
  }
}
