import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { compareStrings, evaluateCharges, ExistingCharge } from '@slidecharge/billing-rules';
import { TopicName } from '@slidecharge/contracts';
import {
  applyExactlyOnce,
  currentTraceId,
  DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY,
  GroupCommit,
  HandledBatch,
  Inbox,
  inMessageContext,
  IncomingMessage,
  OutgoingMessage,
  SqlExecutor,
} from '@slidecharge/messaging';
import { PgTransactions, ServiceRuntime } from '@slidecharge/service-kit';
import { chargeIdForGeneration, creditIdFor } from '../charge/charge-id';
import { LIVE_STATUSES } from '../charge/charge-status';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { DeliveryQueue } from '../delivery/delivery.queue'; // issue #8: DFT^P03 not sent for what a case lacked
import { BillingMetricsService } from '../metrics/billing-metrics.service';
import { PolicySetStore } from '../policies/policy-set.store';
import { stepsOf, wavesByPatient, winningReports } from './batch-plan';
import { AuditEntry, BillingRepository, NewChargeRow, PatientDays, QcRow, RecordedQcEffect, ScanRow, StoredScanEffect } from './billing.repository';
import { applyFactChanges, CaseFactChanges, CaseFacts, CaseFactsCache, factChangesOf, NO_FACT_CHANGES } from './case-facts-cache';
import { ChargePosting } from './charge-posting.service';
import {
  caseLockKey,
  engineStateOf,
  LoadedCase,
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
  | 'scan-superseded'
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

type CaseMessage = IncomingMessage<'lis.case-events.v1'>;
type FactsMessage = IncomingMessage<'scan.events.v1'> | IncomingMessage<'qc.results.v1'>;
const isCaseMessage = (m: IncomingMessage<BillingTopic>): m is CaseMessage => m.topic === 'lis.case-events.v1';
const asFactsMessage = (m: IncomingMessage<BillingTopic>) => m as FactsMessage;

/** A case to decide again, and the event on whose account (the audit line's and the credit's cause). */
interface CaseToDecide {
  accessionNumber: string;
  message: IncomingMessage<BillingTopic>;
  /** Log what changed in the case that the rules do not reverse a posted charge for (a new case version). */
  reportDrift: boolean;
}

/** What the rules decided for one case. */
interface Decision {
  loaded: LoadedCase;
  target: CaseToDecide;
  result: ReturnType<typeof evaluateCharges>;
}

/**
 * What a transaction's decisions know of the cases' facts: the large cases decided so far in it (kept in
 * the process's CaseFactsCache once it commits), and for a step of scans and verdicts, what it changed
 * of each case (absent: facts changed otherwise, e.g. by a case event, and are read from the database).
 */
interface FactsContext {
  decided: Map<string, CaseFacts>;
  changes?: ReadonlyMap<string, CaseFactChanges>;
}

/** How long kept facts are used at most (see CaseFactsCacheOptions.ttlMs). */
const CASE_FACTS_TTL_MS = 60_000;

const noChanges = (): ChargeChanges => ({ posted: [], held: [], notSent: [], credited: [], voided: [], postedIds: [], creditIds: [] });
const changeCount = (c: ChargeChanges) => c.posted.length + c.held.length + c.notSent.length + c.credited.length + c.voided.length;

/** A case's patient and dates of service: what the per-patient unit limits count charges over. */
const patientDaysOf = (l: LoadedCase): PatientDays => ({ patientId: l.facts.patientId, exceptAccession: l.facts.accessionNumber, datesOfService: [l.facts.collectionDate] });

/** The audit trail's reason for a charge the rules created. */
function creationReason(row: NewChargeRow): string {
  const c = row.charge;
  if (row.status === 'posted') return `billable under policy ${c.payerPolicyId} v${c.policyVersion}${c.modifiers.length ? ` with ${c.modifiers.join(', ')}` : ''}`;
  if (row.status === 'held') return `held for review: ${row.holdReasons.map((h) => `${h.rule}: ${h.detail}`).join('; ')}`;
  return `not sent: ${c.trace.find((t) => t.outcome === 'do-not-send')?.detail ?? `payer policy ${c.payerPolicyId}`}`;
}

/** The scan report of a scan event, as billing stores it. */
function scanRowOf(message: IncomingMessage<'scan.events.v1'>): ScanRow {
  const scan = message.value.data;
  return {
    scanId: scan.scanId,
    slideBarcode: scan.slideBarcode,
    status: scanStatusOf(message.value.type),
    purpose: scan.purpose,
    scannerId: scan.scannerId,
    scannedAt: scan.scannedAt,
    sourceEventId: message.value.eventId,
  };
}

/** The QC verdict of a QC event, as billing stores it. */
function qcRowOf(message: IncomingMessage<'qc.results.v1'>): QcRow {
  const verdict = message.value.data;
  return {
    scanId: verdict.scanId,
    sourceEventId: message.value.eventId,
    slideBarcode: verdict.slideBarcode,
    passed: message.value.type === 'qc.passed',
    reasons: verdict.reasons,
    rulesVersion: verdict.rulesVersion,
  };
}

/**
 * Turns case, scan and QC facts into digitization charges, exactly once.
 *
 * Events are consumed exactly once by batch (libs/messaging KafkaBus.consume): a batch of one
 * partition is handled in ONE transaction that records the event ids (redelivered events stop there),
 * locks the slides and cases they concern, stores the facts (a case event alone, a run of scan and QC
 * events set-based), decides every case they touch once with the billing rules and writes the new
 * charges (unique by chargeKey) with one statement per table; their charge.posted events go into the
 * outbox in the same transaction. A crash anywhere rolls all of it back and Kafka redelivers the batch;
 * a batch that fails is split until the event that fails alone is retried and dead-lettered. The outbox
 * relay publishes committed events at least once with stable ids. Deciding a case once for a run of its
 * events (not after each) skips charges that a later event of the same batch would reverse at once; a
 * batch split by a failure may decide in between, and both outcomes are the rules' answer to the facts.
 */
@Injectable()
export class ChargingService implements OnApplicationBootstrap {
  /** Where consumed event ids and outgoing events go, in the transaction of their effect. */
  private readonly inbox: Inbox;
  /**
   * The consumer's transactions: raw SQL on its own pg connections (one per batch applied at once),
   * every statement hand-written, without Prisma's per-query cost on the hot path.
   */
  private readonly transactions: PgTransactions;
  /** The large cases' facts between the transactions that decide them (see CaseFactsCache). */
  readonly caseFacts: CaseFactsCache;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly repository: BillingRepository,
    private readonly policies: PolicySetStore,
    private readonly runtime: ServiceRuntime,
    private readonly posting: ChargePosting,
    private readonly deliveries: DeliveryQueue,
    private readonly metrics: BillingMetricsService,
  ) {
    this.transactions = runtime.rawSql('billing-charging', config.BILLING_CONSUMERS * DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY);
    this.inbox = runtime.inbox(BILLING_CONSUMER, (fn) => this.transactions.transaction(fn));
    this.caseFacts = new CaseFactsCache({ maxSlides: config.BILLING_CASE_CACHE_SLIDES, minSlides: config.BILLING_CASE_CACHE_MIN_SLIDES, ttlMs: CASE_FACTS_TTL_MS });
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
        groupCommitEvents: this.config.BILLING_GROUP_COMMIT_EVENTS,
      },
      `payer policy set ${policy.policyVersion} in force${seeded.seeded ? ' (the built-in set, stored at this first start)' : ''}`,
    );
    // Several members of the one group, each consuming partitions in parallel: safe, because handlers
    // serialize on advisory locks per slide and case, and charges are unique by chargeKey. They
    // subscribe together so that they join the group in one rebalance. With group commit, the batches
    // of all of them that wait at the same time share one transaction.
    await this.runtime.start();
    const handler = (tx: SqlExecutor, messages: readonly IncomingMessage<BillingTopic>[]) => this.applyBatch(tx, messages);
    const events = this.config.BILLING_GROUP_COMMIT_EVENTS;
    const groupCommit = events > 0 ? new GroupCommit(this.inbox, handler, events) : undefined;
    await Promise.all(
      Array.from({ length: this.config.BILLING_CONSUMERS }, () =>
        this.runtime.consume({
          groupId: this.config.BILLING_CONSUMER_GROUP,
          topics: BILLING_TOPICS,
          inbox: this.inbox,
          handler,
          ...(groupCommit ? { groupCommit } : {}),
        }),
      ),
    );
  }

  /** Handles one event alone, exactly once (its own transaction): what the consumer does with a batch of one. */
  async handle(message: IncomingMessage<BillingTopic>): Promise<HandlingResult> {
    return (await this.handleBatch([message]))[0] as HandlingResult;
  }

  /** Handles events as the consumer handles a batch of one partition, exactly once, in one transaction; a result per event. */
  async handleBatch(messages: readonly IncomingMessage<BillingTopic>[]): Promise<HandlingResult[]> {
    const applied = await applyExactlyOnce(this.inbox, messages, (tx, fresh) => this.applyBatch(tx, fresh));
    const results = new Map(applied.fresh.map((m, i) => [m, applied.handled?.results[i] as HandlingResult]));
    return messages.map((m) => results.get(m) ?? { outcome: 'duplicate-event', ...noChanges() });
  }

  /**
   * The effect of a batch of new events (of one partition, or with group commit of several, each
   * partition's in order, one partition after the other), in the transaction that records
   * their ids: first the advisory locks of every slide and case the events name, in one statement (in
   * hash order, so that batches of other partitions cannot deadlock on them), then step by step (see
   * stepsOf): a case event alone, a run of scan and QC events stored with one statement per table and
   * the cases they touch decided once. The statements of a batch do not grow with its size.
   */
  async applyBatch(tx: SqlExecutor, messages: readonly IncomingMessage<BillingTopic>[]): Promise<HandledBatch & { results: HandlingResult[] }> {
    const started = Date.now();
    await this.repository.lock(tx, messages.flatMap(lockKeysOf));
    const results: HandlingResult[] = messages.map(() => ({ outcome: 'scan-unchanged', ...noChanges() }));
    const outgoing: OutgoingMessage[] = [];
    const decided = new Map<string, CaseFacts>();
    for (const step of stepsOf(messages, isCaseMessage, asFactsMessage)) {
      if (step.kind === 'case') results[step.index] = await inMessageContext(step.message, () => this.applyCaseEvent(tx, step.message, outgoing, decided));
      else await this.applyFacts(tx, step.items, results, outgoing, decided);
    }
    const afterCommit = () => {
      this.caseFacts.keep(decided.values());
      return this.committed(messages, results, started);
    };
    return { outgoing, results, afterCommit };
  }

  /** After the commit: the metrics of what was posted and credited, a debug line per event and an info line for the batch. */
  private async committed(messages: readonly IncomingMessage<BillingTopic>[], results: readonly HandlingResult[], started: number): Promise<void> {
    const postedIds = results.flatMap((r) => r.postedIds);
    const creditIds = results.flatMap((r) => r.creditIds);
    await this.metrics.chargesPosted(postedIds);
    await this.metrics.creditsSent(creditIds);
    const logger = this.runtime.logger;
    if (logger.isLevelEnabled('debug')) {
      messages.forEach((message, i) => inMessageContext(message, () => this.logEvent(message, results[i] as HandlingResult)));
    }
    const outcomes: Partial<Record<HandlingOutcome, number>> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const total = (k: keyof ChargeChanges) => results.reduce((n, r) => n + r[k].length, 0);
    const counts = { posted: total('posted'), held: total('held'), notSent: total('notSent'), credited: total('credited'), voided: total('voided') };
    const said = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k === 'notSent' ? 'kept unsent' : k}`);
    logger.info(
      { events: messages.length, outcomes, ...counts, ms: Date.now() - started },
      `${messages.length} event(s) applied${said.length ? `: ${said.join(', ')}` : ''}`,
    );
  }

  private logEvent(message: IncomingMessage<BillingTopic>, result: HandlingResult): void {
    const said = (['posted', 'held', 'notSent', 'credited', 'voided'] as const)
      .filter((k) => result[k].length > 0)
      .map((k) => `${k === 'notSent' ? 'kept unsent' : k} ${result[k].join(', ')}`);
    this.runtime.logger.debug(
      {
        topic: message.topic,
        eventId: message.value.eventId,
        type: message.value.type,
        key: message.key,
        outcome: result.outcome,
        ...(changeCount(result) > 0
          ? { posted: result.posted, held: result.held, notSent: result.notSent, credited: result.credited, voided: result.voided }
          : {}),
      },
      `${message.value.type} ${result.outcome}${said.length ? `; ${said.join('; ')}` : ''}`,
    );
  }

  private async applyCaseEvent(tx: SqlExecutor, message: CaseMessage, outgoing: OutgoingMessage[], decided: Map<string, CaseFacts>): Promise<HandlingResult> {
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
    const byCase = await this.decideCases(
      tx,
      [accession, ...losers].map((accessionNumber) => ({ accessionNumber, message, reportDrift: accessionNumber === accession && stored !== undefined })),
      outgoing,
      { decided },
    );
    const changes = noChanges();
    for (const c of byCase.values()) for (const k of Object.keys(changes) as (keyof ChargeChanges)[]) changes[k].push(...c[k]);
    return { outcome: 'case-applied', ...changes };
  }

  /**
   * A run of scan and QC events: the scans stored with one upsert (of several reports of one scan, the
   * one that wins; the others are superseded within the batch), the verdicts with one insert, then every
   * case whose facts they changed decided once (the case of a scan's slide, and of the slide a changed
   * scan named before; the case of a verdict's slide, and of its scan's slide), on account of the last
   * event that touched it (whose result carries the case's changes).
   */
  private async applyFacts(
    tx: SqlExecutor,
    items: readonly { index: number; message: FactsMessage }[],
    results: HandlingResult[],
    outgoing: OutgoingMessage[],
    decided: Map<string, CaseFacts>,
  ): Promise<void> {
    const now = new Date();
    const scans = items.flatMap(({ index, message }) => (message.topic === 'scan.events.v1' ? [{ index, message, row: scanRowOf(message) }] : []));
    const verdicts = items.flatMap(({ index, message }) => (message.topic === 'qc.results.v1' ? [{ index, message, row: qcRowOf(message) }] : []));
    const winners = winningReports(scans.map((s) => s.row));
    const stored = await this.repository.upsertScans(tx, [...winners.values()].map((w) => (scans[w] as (typeof scans)[number]).row), now);
    const recorded = await this.repository.recordQcs(tx, verdicts.map((v) => v.row), now);

    const touched = new Map<string, IncomingMessage<BillingTopic>>();
    const touch = (accessions: (string | undefined)[], message: IncomingMessage<BillingTopic>) => {
      for (const a of accessions) if (a !== undefined) touched.set(a, message);
    };
    const scanEffects: StoredScanEffect[] = [];
    scans.forEach(({ index, message, row }, position) => {
      const effect = winners.get(row.scanId) === position ? stored.get(row.scanId) : undefined;
      const outcome: HandlingOutcome = !effect ? 'scan-superseded' : !effect.changed ? 'scan-unchanged' : effect.accessionNumber ? 'scan-applied' : 'scan-unmatched';
      results[index] = { outcome, ...noChanges() };
      if (!effect?.changed) return;
      scanEffects.push(effect);
      touch([effect.accessionNumber, effect.previousAccession], message);
    });
    const qcEffects: RecordedQcEffect[] = [];
    for (const { index, message, row } of verdicts) {
      const effect = recorded.get(row.sourceEventId);
      const outcome: HandlingOutcome = !effect?.recorded ? 'qc-repeat' : effect.accessionNumber ? 'qc-applied' : 'qc-unmatched';
      results[index] = { outcome, ...noChanges() };
      if (!effect?.recorded) continue;
      qcEffects.push(effect);
      touch([effect.accessionNumber, effect.scanAccession], message);
    }
    // The last event of the run that touched each case (Map order is first-touch; the value is the last).
    const lastIndex = new Map(items.map(({ index, message }) => [message, index]));
    const targets = [...touched].map(([accessionNumber, message]) => ({ accessionNumber, message, reportDrift: false }));
    for (const [accessionNumber, changes] of await this.decideCases(tx, targets, outgoing, { decided, changes: factChangesOf(scanEffects, qcEffects) })) {
      const message = touched.get(accessionNumber) as IncomingMessage<BillingTopic>;
      const result = results[lastIndex.get(message as FactsMessage) as number] as HandlingResult;
      for (const k of Object.keys(changes) as (keyof ChargeChanges)[]) result[k].push(...changes[k]);
    }
  }

  /**
   * Decides the cases again from everything stored, under the policy set in force, and applies what
   * the rules say: reversals first (a posted charge is credited, a held or unsent one voided), then the
   * new charges (posted, held for review, or kept unsent), each with its audit line. The events of
   * posted charges and credits are added to `sent`, for the outbox in the same transaction. The cases
   * are read in one statement and decided in waves holding one case per patient (see wavesByPatient),
   * each wave written with one statement per table. Returns the changes per accession.
   */
  private async decideCases(tx: SqlExecutor, targets: readonly CaseToDecide[], sent: OutgoingMessage[], context: FactsContext): Promise<Map<string, ChargeChanges>> {
    const changes = new Map<string, ChargeChanges>();
    if (targets.length === 0) return changes;
    const policySet = await this.policies.active(tx);
    const byAccession = new Map(targets.map((t) => [t.accessionNumber, t]));
    const loaded = await this.loadForDecision(tx, targets.map((t) => t.accessionNumber), context);
    // Deciders of one patient's cases on one day, in other transactions (another instance, another
    // partition without group commit), wait for each other here: each then counts the other's charges.
    await this.repository.lockPatientDays(tx, loaded.map(patientDaysOf));
    for (const wave of wavesByPatient(loaded, (l) => l.facts.patientId)) {
      const others = await this.repository.patientCharges(tx, wave.map(patientDaysOf));
      const decisions = wave.map((l, i) => {
        const target = byAccession.get(l.facts.accessionNumber) as CaseToDecide;
        const existingCharges: ExistingCharge[] = [
          ...l.charges.map((c) => toExistingCharge(c, l.facts.accessionNumber)),
          ...(others[i] ?? []).map((o) => ({ ...o, state: engineStateOf(o.status) })),
        ];
        const result = evaluateCharges({ case: l.facts, scans: l.scans, qcResults: l.qcResults, policySet, existingCharges });
        return { loaded: l, target, result };
      });
      for (const [accession, c] of await this.applyDecisions(tx, decisions, sent)) changes.set(accession, c);
    }
    return changes;
  }

  /**
   * The cases to decide, each under its row's lock with its facts revision counted up: the facts of a
   * large case this process decided at the revision before, with what this step changed of them, from
   * memory (and its charges read fresh); every other case read whole from the database. Sorted by
   * accession whichever way a case was read, so that its place in the waves does not depend on it.
   */
  private async loadForDecision(tx: SqlExecutor, accessions: readonly string[], context: FactsContext): Promise<LoadedCase[]> {
    const revisions = await this.repository.claimCases(tx, accessions);
    const fromMemory: CaseFacts[] = [];
    for (const [accession, revision] of context.changes ? revisions : []) {
      const base = context.decided.get(accession) ?? this.caseFacts.at(accession, revision - 1);
      const facts = base && applyFactChanges(base, context.changes?.get(accession) ?? NO_FACT_CHANGES, revision);
      if (facts) fromMemory.push(facts);
    }
    const remembered = new Set(fromMemory.map((f) => f.facts.accessionNumber));
    const read = await this.repository.loadCases(tx, accessions.filter((a) => revisions.has(a) && !remembered.has(a)));
    const charges = await this.repository.loadCharges(tx, [...remembered]);
    this.metrics.caseFactsRead(fromMemory.length, read.length);
    const loaded: LoadedCase[] = [
      ...read,
      ...fromMemory.map(({ revision: _revision, ...facts }, i) => ({ ...facts, charges: charges[i] ?? [] })),
    ].sort((a, b) => compareStrings(a.facts.accessionNumber, b.facts.accessionNumber));
    for (const l of loaded) {
      const revision = revisions.get(l.facts.accessionNumber) as number;
      const facts: CaseFacts = { revision, version: l.version, facts: l.facts, scans: l.scans, qcResults: l.qcResults };
      if (this.caseFacts.keeps(facts)) context.decided.set(l.facts.accessionNumber, facts);
      else context.decided.delete(l.facts.accessionNumber);
    }
    return loaded;
  }

  /** Writes the decisions of a wave of cases: one statement per table, whatever the number of cases. */
  private async applyDecisions(tx: SqlExecutor, decisions: readonly Decision[], sent: OutgoingMessage[]): Promise<Map<string, ChargeChanges>> {
    const now = new Date();
    const changes = new Map(decisions.map((d) => [d.loaded.facts.accessionNumber, noChanges()]));
    const changesOf = (d: Decision) => changes.get(d.loaded.facts.accessionNumber) as ChargeChanges;
    const eventIdOf = (d: Decision) => d.target.message.value.eventId;
    const audits: AuditEntry[] = [];
    const storedOf = (d: Decision, chargeId: string) => d.loaded.charges.find((c) => c.chargeId === chargeId) as StoredCharge;

    const voided = await this.repository.changeStatuses(tx, decisions.flatMap((d) => d.result.voids.map((v) => v.chargeId)), ['held', 'do-not-send'], 'voided', now);
    for (const d of decisions) {
      for (const v of d.result.voids.filter((x) => voided.has(x.chargeId))) {
        const original = storedOf(d, v.chargeId);
        audits.push({ chargeId: v.chargeId, at: now, actor: RULES_ACTOR, action: 'voided', fromStatus: original.status, toStatus: 'voided', reason: `${v.reason}: ${v.detail}`, eventId: eventIdOf(d) });
        changesOf(d).voided.push(original.chargeKey);
      }
    }

    const credited = await this.repository.changeStatuses(tx, decisions.flatMap((d) => d.result.credits.map((c) => c.creditFor)), ['posted'], 'credited', now);
    const credits = decisions.flatMap((d) =>
      d.result.credits
        .filter((cr) => credited.has(cr.creditFor))
        .map((cr) =>
          inMessageContext(d.target.message, () => {
            const original = storedOf(d, cr.creditFor);
            const trace = d.result.trace.filter((t) => t.rule === 'reversal' && t.detail.includes(cr.creditFor));
            const credit = toCredit(cr, original, { creditId: creditIdFor(cr.creditFor) }, now, [eventIdOf(d)], trace);
            audits.push({ chargeId: cr.creditFor, at: now, actor: RULES_ACTOR, action: 'credited', fromStatus: 'posted', toStatus: 'credited', reason: `${cr.reason}: ${cr.detail}`, eventId: eventIdOf(d) });
            changesOf(d).credited.push(original.chargeKey);
            changesOf(d).creditIds.push(credit.creditId);
            return { credit, traceId: currentTraceId() ?? null, event: this.posting.creditEvent(credit, now) };
          }),
        ),
    );

    // Built (and so validated against the contract) before anything is written.
    const rows = decisions.flatMap((d) => inMessageContext(d.target.message, () => this.newChargeRows(d, now)));
    const inserted = await this.repository.insertCharges(tx, rows.map((r) => r.row), now);
    const created = rows.filter((r) => inserted.has(r.row.charge.chargeId));
    for (const { decision: d, row } of created) {
      audits.push({ chargeId: row.charge.chargeId, at: now, actor: RULES_ACTOR, action: 'created', fromStatus: null, toStatus: row.status, reason: creationReason(row), eventId: eventIdOf(d) });
      const c = changesOf(d);
      if (row.status === 'posted') {
        c.posted.push(row.charge.chargeKey);
        c.postedIds.push(row.charge.chargeId);
      } else if (row.status === 'held') c.held.push(row.charge.chargeKey);
      else c.notSent.push(row.charge.chargeKey);
    }
    const posted = created.flatMap((r) => (r.event ? [{ chargeId: r.row.charge.chargeId, event: r.event }] : []));
    sent.push(...(await this.posting.record(tx, { posted, credits, audits })));
    for (const d of decisions) if (d.target.reportDrift) this.reportDrift(d);
    return changes;
  }

  /** The rows of the charges a decision creates, each with its trace id and, when posted, its event. */
  private newChargeRows(d: Decision, now: Date): { decision: Decision; row: NewChargeRow; event: OutgoingMessage<'billing.charges.v1'> | undefined }[] {
    const traceId = currentTraceId() ?? null;
    return d.result.charges.map((decided) => {
      const generation = nextGeneration(d.loaded.charges, decided.chargeKey);
      const ids = { chargeId: chargeIdForGeneration(decided.chargeKey, generation), ...(decided.replacesChargeId ? { replacesChargeId: decided.replacesChargeId } : {}) };
      const row: NewChargeRow = {
        charge: toCharge(decided, ids, now),
        generation,
        status: storedStatusOf(decided.status),
        holdReasons: decided.holdReasons,
        refusedModifiers: decided.refusedModifiers,
        traceId,
      };
      return { decision: d, row, event: row.status === 'posted' ? this.posting.chargePostedEvent(row.charge, now) : undefined };
    });
  }

  /** Logs what changed in a new case version that the rules do not reverse a standing charge for. */
  private reportDrift(d: Decision): void {
    const reversed = new Set([...d.result.voids.map((v) => v.chargeId), ...d.result.credits.map((c) => c.creditFor)]);
    const accession = d.loaded.facts.accessionNumber;
    for (const charge of d.loaded.charges) {
      if (!LIVE_STATUSES.includes(charge.status) || reversed.has(charge.chargeId)) continue;
      const drift = postedChargeChanges(charge, d.loaded.facts);
      if (drift.length === 0) continue;
      this.runtime.logger.warn(
        { accessionNumber: accession, chargeId: charge.chargeId, chargeKey: charge.chargeKey, version: d.loaded.version, changes: drift },
        `${charge.status} charge ${charge.chargeKey} no longer matches case ${accession} version ${d.loaded.version} ` +
          `(${drift.join('; ')}); the rules do not reverse a charge for this, so it stands: review it by hand`,
      );
    }
  }
}
