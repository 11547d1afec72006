import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { evaluateCharges, ExistingCharge } from '@slidecharge/billing-rules';
import { Charge, Credit, TopicName } from '@slidecharge/contracts';
import {
  applyExactlyOnce,
  buildEvent,
  ContractViolationError,
  HandledBatch,
  handleEach,
  Inbox,
  IncomingMessage,
  OutgoingMessage,
  RejectedMessageError,
} from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { DeliveryQueue } from '../delivery/delivery.queue'; // issue #4: DFT^P03 delivery
import { BillingMetricsService } from '../metrics/billing-metrics.service';
import { PolicySetStore } from '../policies/policy-set.store';
import { PrismaService } from '../prisma.service';
import { AuditEntry, BillingRepository, Db, NewChargeRow } from './billing.repository';
import { chargeCreditedEventIdFor, chargeIdForGeneration, chargePostedEventIdFor, creditIdFor } from './charge-id';
import {
  caseLockKey,
  engineStateOf,
  LIVE_STATUSES,
  nextGeneration,
  postedChargeChanges,
  scanStatusOf,
  slideLockKey,
  StoredCharge,
  storedStatusOf,
  toCharge,
  toCredit,
  toExistingCharge,
} from './facts';

/** The audit trail's actor for decisions the rules take on an event. */
export const RULES_ACTOR = 'billing-rules';

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

/** What one event changed, by chargeKey. */
export interface ChargeChanges {
  /** Charges that went onto the charges topic. */
  posted: string[];
  /** Charges held for review. */
  held: string[];
  /** Charges kept but not sent (payer policy: do not send). */
  notSent: string[];
  /** Posted charges reversed by a credit. */
  credited: string[];
  /** Held or unsent charges withdrawn. */
  voided: string[];
  /** Ids of the posted charges and of the credits (for the metrics, observed after the commit). */
  postedIds: string[];
  creditIds: string[];
}

export interface HandlingResult extends ChargeChanges {
  outcome: HandlingOutcome;
}

/** The advisory-lock keys an event names by itself: the slides of a scan or verdict, a case and its new slides. */
function lockKeysOf(message: IncomingMessage<BillingTopic>): string[] {
  switch (message.topic) {
    case 'lis.case-events.v1':
      return [caseLockKey(message.value.data.accessionNumber), ...message.value.data.slides.map((s) => slideLockKey(s.barcode))];
    case 'scan.events.v1':
      return [slideLockKey(message.value.data.slideBarcode)];
    case 'qc.results.v1':
      return [slideLockKey(message.value.data.slideBarcode)];
  }
}

const noChanges = (): ChargeChanges => ({ posted: [], held: [], notSent: [], credited: [], voided: [], postedIds: [], creditIds: [] });
const changeCount = (c: ChargeChanges) => c.posted.length + c.held.length + c.notSent.length + c.credited.length + c.voided.length;

/** Interactive transactions run at most this long (a case may carry up to 2000 slides). */
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 10_000 };

/**
 * Turns case, scan and QC facts into digitization charges, exactly once.
 *
 * Events are consumed exactly once by batch (libs/messaging KafkaBus.consume): a batch of one
 * partition is handled in ONE transaction that records the event ids (redelivered events stop there),
 * locks the slides and cases they concern, and for each event in order stores its facts, decides with
 * the billing rules for each case it affects and inserts the new charges (unique by chargeKey); their
 * charge.posted events go into the outbox in the same transaction. A crash anywhere rolls all of it
 * back and Kafka redelivers the batch; a batch that fails is split until the event that fails alone is
 * retried and dead-lettered. The outbox relay publishes committed events at least once with stable ids.
 */
@Injectable()
export class ChargingService implements OnApplicationBootstrap {
  /** Where consumed event ids and outgoing events go, in the transaction of their effect. */
  private readonly inbox: Inbox<Db>;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly prisma: PrismaService,
    private readonly repository: BillingRepository,
    private readonly policies: PolicySetStore,
    private readonly runtime: ServiceRuntime,
    private readonly deliveries: DeliveryQueue, // issue #4: queues the DFT^P03 in the posting transaction
    private readonly metrics: BillingMetricsService,
  ) {
    this.inbox = runtime.inbox<Db>(BILLING_CONSUMER, (fn) => this.prisma.$transaction(fn, TRANSACTION_OPTIONS));
  }

  async onApplicationBootstrap(): Promise<void> {
    const seeded = await this.policies.ensureOne();
    const policy = await this.policies.active();
    this.runtime.logger.info(
      {
        policyVersion: policy.policyVersion,
        seeded: seeded.seeded,
        requireQcPass: policy.requireQcPass,
        billablePurposes: policy.billablePurposes,
        requireDigitalSignOut: policy.requireDigitalSignOut,
        groupId: this.config.BILLING_CONSUMER_GROUP,
        consumers: this.config.BILLING_CONSUMERS,
      },
      `payer policy set ${policy.policyVersion} in force${seeded.seeded ? ' (the built-in set, stored at this first start)' : ''}`,
    );
    // Several members of the one group, each consuming partitions in parallel: safe, because handlers
    // serialize on advisory locks per slide and case, and charges are unique by chargeKey. They
    // subscribe together so that they join the group in one rebalance.
    await this.runtime.start();
    await Promise.all(
      Array.from({ length: this.config.BILLING_CONSUMERS }, () =>
        this.runtime.consume({
          groupId: this.config.BILLING_CONSUMER_GROUP,
          topics: BILLING_TOPICS,
          inbox: this.inbox,
          handler: (tx, messages) => this.applyBatch(tx, messages),
        }),
      ),
    );
  }

  /** Handles one event alone, exactly once (its own transaction): what the consumer does with a batch of one. */
  async handle(message: IncomingMessage<BillingTopic>): Promise<HandlingResult> {
    const applied = await applyExactlyOnce(this.inbox, [message], (tx, messages) => this.applyBatch(tx, messages));
    return applied.handled?.results[0] ?? { outcome: 'duplicate-event', ...noChanges() };
  }

  /**
   * The effect of a batch of new events of one partition, in order, in the transaction that records
   * their ids: first the advisory locks of every slide and case the events name, in one statement (in
   * hash order, so that batches of other partitions cannot deadlock on them), then each event as alone.
   */
  async applyBatch(tx: Db, messages: readonly IncomingMessage<BillingTopic>[]): Promise<HandledBatch & { results: HandlingResult[] }> {
    await this.repository.lock(tx, messages.flatMap(lockKeysOf));
    const handled = await handleEach(messages, async (message) => {
      const started = Date.now();
      const outgoing: OutgoingMessage[] = [];
      const result = await this.applyOne(tx, message, outgoing);
      return { outgoing, result, afterCommit: () => this.committed(message, result, started) };
    });
    return { ...handled, results: handled.results.map((r) => r.result) };
  }

  private applyOne(tx: Db, message: IncomingMessage<BillingTopic>, outgoing: OutgoingMessage[]): Promise<HandlingResult> {
    switch (message.topic) {
      case 'lis.case-events.v1':
        return this.applyCaseEvent(tx, message, outgoing);
      case 'scan.events.v1':
        return this.applyScanEvent(tx, message, outgoing);
      case 'qc.results.v1':
        return this.applyQcEvent(tx, message, outgoing);
    }
  }

  /** After the commit: the metrics of what was posted and credited, and the event's log line. */
  private async committed(message: IncomingMessage<BillingTopic>, result: HandlingResult, started: number): Promise<void> {
    if (result.posted.length + result.credited.length > 0) {
      await this.metrics.chargesPosted(result.postedIds);
      await this.metrics.creditsSent(result.creditIds);
    }
    const said = (['posted', 'held', 'notSent', 'credited', 'voided'] as const)
      .filter((k) => result[k].length > 0)
      .map((k) => `${k === 'notSent' ? 'kept unsent' : k} ${result[k].join(', ')}`);
    this.runtime.logger.info(
      {
        topic: message.topic,
        eventId: message.value.eventId,
        type: message.value.type,
        key: message.key,
        outcome: result.outcome,
        ...(changeCount(result) > 0
          ? { posted: result.posted, held: result.held, notSent: result.notSent, credited: result.credited, voided: result.voided }
          : {}),
        ms: Date.now() - started,
      },
      `${message.value.type} ${result.outcome}${said.length ? `; ${said.join('; ')}` : ''}`,
    );
  }

  private async applyCaseEvent(tx: Db, message: IncomingMessage<'lis.case-events.v1'>, outgoing: OutgoingMessage[]): Promise<HandlingResult> {
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
      return { outcome: 'stale-case-version', ...noChanges() };
    }
    const barcodes = new Set([...(stored?.barcodes ?? []), ...snapshot.slides.map((s) => s.barcode)]);
    await this.repository.lock(tx, [...barcodes].map(slideLockKey));
    const moved = await this.repository.replaceCase(tx, snapshot, new Date());
    await this.deliveries.caseStored(tx, accession); // issue #8: DFT^P03 refused for what the case lacked are due again
    for (const m of moved) {
      this.runtime.logger.warn(
        { barcode: m.barcode, fromAccession: m.fromAccession, toAccession: accession },
        `slide ${m.barcode} moved from case ${m.fromAccession} to case ${accession}`,
      );
    }
    // A case that lost a slide to this one is decided again too: its charge may rest on that slide.
    const losers = [...new Set(moved.map((m) => m.fromAccession))].sort();
    await this.repository.lock(tx, losers.map(caseLockKey));
    const changes = await this.evaluate(tx, [accession, ...losers], message.value.eventId, outgoing, { reportDrift: stored !== undefined });
    return { outcome: 'case-applied', ...changes };
  }

  private async applyScanEvent(tx: Db, message: IncomingMessage<'scan.events.v1'>, outgoing: OutgoingMessage[]): Promise<HandlingResult> {
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
    if (!changed) return { outcome: 'scan-unchanged', ...noChanges() };
    if (!accessionNumber) return { outcome: 'scan-unmatched', ...noChanges() };
    return { outcome: 'scan-applied', ...(await this.evaluate(tx, [accessionNumber], event.eventId, outgoing)) };
  }

  private async applyQcEvent(tx: Db, message: IncomingMessage<'qc.results.v1'>, outgoing: OutgoingMessage[]): Promise<HandlingResult> {
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
    if (!recorded) return { outcome: 'qc-repeat', ...noChanges() };
    if (!accessionNumber) return { outcome: 'qc-unmatched', ...noChanges() };
    return { outcome: 'qc-applied', ...(await this.evaluate(tx, [accessionNumber], event.eventId, outgoing)) };
  }

  /**
   * Decides the cases again from everything stored, under the policy set in force, and applies what
   * the rules say: reversals first (a posted charge is credited, a held or unsent one voided), then the
   * new charges (posted, held for review, or kept unsent), each with its audit line. The events of
   * posted charges and credits are added to `sent`, for the outbox in the same transaction.
   */
  private async evaluate(tx: Db, accessionNumbers: string[], eventId: string, sent: OutgoingMessage[], options: { reportDrift?: boolean } = {}): Promise<ChargeChanges> {
    const changes = noChanges();
    const policySet = await this.policies.active(tx);
    for (const loaded of await this.repository.loadCases(tx, accessionNumbers)) {
      const accession = loaded.facts.accessionNumber;
      const others = await this.repository.patientCharges(tx, loaded.facts.patientId, accession, [loaded.facts.collectionDate]);
      const existingCharges: ExistingCharge[] = [
        ...loaded.charges.map((c) => toExistingCharge(c, accession)),
        ...others.map((o) => ({ ...o, state: engineStateOf(o.status) })),
      ];
      const result = evaluateCharges({ case: loaded.facts, scans: loaded.scans, qcResults: loaded.qcResults, policySet, existingCharges });
      const now = new Date();
      const byId = new Map(loaded.charges.map((c) => [c.chargeId, c]));
      const audits: AuditEntry[] = [];
      const outgoing: OutgoingMessage[] = [];

      for (const v of result.voids) {
        const original = byId.get(v.chargeId) as StoredCharge;
        if (!(await this.repository.changeStatus(tx, v.chargeId, ['held', 'do-not-send'], 'voided', now))) continue;
        audits.push({ chargeId: v.chargeId, at: now, actor: RULES_ACTOR, action: 'voided', fromStatus: original.status, toStatus: 'voided', reason: `${v.reason}: ${v.detail}`, eventId });
        changes.voided.push(original.chargeKey);
      }
      for (const cr of result.credits) {
        const original = byId.get(cr.creditFor) as StoredCharge;
        if (!(await this.repository.changeStatus(tx, cr.creditFor, ['posted'], 'credited', now))) continue;
        const trace = result.trace.filter((t) => t.rule === 'reversal' && t.detail.includes(cr.creditFor));
        const credit = toCredit(cr, original, { creditId: creditIdFor(cr.creditFor) }, now, [eventId], trace);
        outgoing.push(this.creditEvent(credit, now));
        await this.repository.insertCredit(tx, credit);
        await this.deliveries.chargeCredited(tx, credit.creditId, cr.creditFor); // issue #4: DFT^P03 (CD) delivery
        audits.push({ chargeId: cr.creditFor, at: now, actor: RULES_ACTOR, action: 'credited', fromStatus: 'posted', toStatus: 'credited', reason: `${cr.reason}: ${cr.detail}`, eventId });
        changes.credited.push(original.chargeKey);
        changes.creditIds.push(credit.creditId);
      }

      const rows: NewChargeRow[] = result.charges.map((decided) => {
        const generation = nextGeneration(loaded.charges, decided.chargeKey);
        const ids = { chargeId: chargeIdForGeneration(decided.chargeKey, generation), ...(decided.replacesChargeId ? { replacesChargeId: decided.replacesChargeId } : {}) };
        return {
          charge: toCharge(decided, ids, now),
          generation,
          status: storedStatusOf(decided.status),
          holdReasons: decided.holdReasons,
          refusedModifiers: decided.refusedModifiers,
        };
      });
      // Built (and so validated against the contract) before anything is written.
      const postedEvents = new Map(rows.filter((r) => r.status === 'posted').map((r) => [r.charge.chargeId, this.chargePostedEvent(r.charge, now)]));
      const inserted = await this.repository.insertCharges(tx, rows, now);
      for (const row of rows.filter((r) => inserted.has(r.charge.chargeId))) {
        const c = row.charge;
        const reason =
          row.status === 'posted'
            ? `billable under policy ${c.payerPolicyId} v${c.policyVersion}${c.modifiers.length ? ` with ${c.modifiers.join(', ')}` : ''}`
            : row.status === 'held'
              ? `held for review: ${row.holdReasons.map((h) => `${h.rule}: ${h.detail}`).join('; ')}`
              : `not sent: ${c.trace.find((t) => t.outcome === 'do-not-send')?.detail ?? `payer policy ${c.payerPolicyId}`}`;
        audits.push({ chargeId: c.chargeId, at: now, actor: RULES_ACTOR, action: 'created', fromStatus: null, toStatus: row.status, reason, eventId });
        if (row.status === 'posted') {
          outgoing.push(postedEvents.get(c.chargeId) as OutgoingMessage);
          changes.posted.push(c.chargeKey);
          changes.postedIds.push(c.chargeId);
        } else if (row.status === 'held') changes.held.push(c.chargeKey);
        else changes.notSent.push(c.chargeKey);
      }
      await this.deliveries.chargesPosted(tx, rows.filter((r) => r.status === 'posted' && inserted.has(r.charge.chargeId)).map((r) => r.charge.chargeId)); // issue #4: DFT^P03 delivery
      sent.push(...outgoing);
      await this.repository.audit(tx, audits);

      if (options.reportDrift) {
        const reversed = new Set([...result.voids.map((v) => v.chargeId), ...result.credits.map((c) => c.creditFor)]);
        for (const charge of loaded.charges) {
          if (!LIVE_STATUSES.includes(charge.status) || reversed.has(charge.chargeId)) continue;
          const drift = postedChargeChanges(charge, loaded.facts);
          if (drift.length === 0) continue;
          this.runtime.logger.warn(
            { accessionNumber: accession, chargeId: charge.chargeId, chargeKey: charge.chargeKey, version: loaded.version, changes: drift },
            `${charge.status} charge ${charge.chargeKey} no longer matches case ${accession} version ${loaded.version} ` +
              `(${drift.join('; ')}); the rules do not reverse a charge for this, so it stands: review it by hand`,
          );
        }
      }
    }
    return changes;
  }

  /** The charge.posted event of a charge (also used when a held charge is released). */
  chargePostedEvent(charge: Charge, postedAt: Date): OutgoingMessage<'billing.charges.v1'> {
    return this.contractChecked(`charge ${charge.chargeKey}`, () =>
      buildEvent('billing.charges.v1', 'charge.posted', charge.accessionNumber, charge, {
        producer: 'billing',
        eventId: chargePostedEventIdFor(charge.chargeId),
        occurredAt: postedAt,
      }),
    );
  }

  private creditEvent(credit: Credit, creditedAt: Date): OutgoingMessage<'billing.charges.v1'> {
    return this.contractChecked(`credit of ${credit.chargeKey}`, () =>
      buildEvent('billing.charges.v1', 'charge.credited', credit.accessionNumber, credit, {
        producer: 'billing',
        eventId: chargeCreditedEventIdFor(credit.creditId),
        occurredAt: creditedAt,
      }),
    );
  }

  private contractChecked<T>(what: string, build: () => T): T {
    try {
      return build();
    } catch (e) {
      // Deterministic: retrying cannot help, so the event goes to the dead-letter topic at once.
      if (e instanceof ContractViolationError) throw new RejectedMessageError(`${what} would break the contract: ${e.message}`);
      throw e;
    }
  }
}
