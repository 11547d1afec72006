import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { READINESS_CHECKS, ReadinessCheck, ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { AttemptOutcome, backoffDelayMs, claimLeaseMs, interpretAck, nextStepAfter, SENDING_MARK_MARGIN_MS, sendingWindowMs } from './delivery-policy';
import { DELIVERY_OFF_REASON, DeliverySettings, deliverySettingsOf, EnabledDeliverySettings } from './delivery.config';
import { dftMessageOf } from './delivery-message';
import { loadDftTls } from './dft-tls';
import { deliveryMetrics, setDeliveryQueueSource } from './delivery.metrics';
import { AttemptRecord, AttemptResult, ClaimedDelivery, DeliveryRepository, DeliverySubject } from './delivery.repository';
import { DeliverySenderRepository } from './delivery-sender.repository';
import { MllpSender } from './mllp-sender';
import { OutcomeRecorder } from './outcome-recorder';
import { SenderLock } from './sender-lock';

/** Statement timeout on the sender's lock session (the raw-SQL pools' own). */
const SENDER_LOCK_TIMEOUT_MS = 30_000;

/**
 * How many due deliveries one claim takes. Small, so that while this sender waits for ACKs another
 * instance takes the next ones (each sender has one connection, and one message outstanding on it).
 */
export const DELIVERY_CLAIM_BATCH = 5;

/**
 * One MLLP connection to the billing system and what goes with it: its own sender lock, claims and loop.
 * A lane is a sender in the sense of the queue's rules (claims, marks, take-overs): the lanes of one
 * process share the queue as separate instances would.
 */
interface Lane {
  /** This lane in the attempt history and in claims: the worker's instance, then /2, /3... for the others. */
  readonly instance: string;
  readonly sender: MllpSender;
  readonly lock: SenderLock;
  consecutiveConnectionErrors: number;
  wakeUp: (() => void) | undefined;
  /** Why its last claim or record failed, until one succeeds. */
  error: string | undefined;
}

/**
 * Sends the queued DFT^P03 messages to the billing system over MLLP and waits for each ACK (HL7 v2
 * original mode over MLLP: one message outstanding per connection, so a retry carries the same MSH-10).
 * It keeps BILLING_DFT_CONNECTIONS connections (lanes, default one), each with one message outstanding:
 * where the billing system accepts concurrent connections, messages of different charges go out side by
 * side; a credit still waits for its charge's ACK (the queue's depends_on). The database work around
 * the sends is batched: a batch of due deliveries is claimed in one statement, what their messages are
 * built from is read in four queries, and outcomes are recorded behind the sends (while the next
 * message waits for its ACK), as many as have come in, in one statement. What a
 * batch did not send (shutdown, billing system unreachable) is given back at once. Outcomes: AA (or CA) -> acked, never sent again; AE/AR, no answer or a connection error ->
 * sent again after an exponential backoff, until the maximum attempts (then failed, for a person to
 * retry). Several billing instances share the queue safely (claims use FOR UPDATE SKIP LOCKED).
 * Each sender holds an advisory lock while alive (SenderLock): it claims only while it holds it, and
 * marks each delivery as being sent, through the lock's session, just before sending it; a claim whose
 * sender's lock is free is taken by another sender at once (but for the delivery it was sending, after
 * that one's sending window), not after the lease. A sender whose lock session ended sends nothing more
 * of what it claimed under it (the mark fails) and gives it back.
 * At shutdown it finishes the message in flight (ACK or timeout), records it, closes the connection,
 * then releases its lock.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** This process in the attempt history and in claims: host, pid and a random tag. */
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly settings: DeliverySettings;
  private lanes: Lane[] = [];
  private loop: Promise<void> | undefined;
  private stopping = false;
  private last: { outcome: AttemptOutcome; at: string; messageControlId: string } | undefined;
  private unsetQueueSource: (() => void) | undefined;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly repository: DeliveryRepository,
    private readonly sending: DeliverySenderRepository,
    private readonly runtime: ServiceRuntime,
    @Inject(READINESS_CHECKS) readinessChecks: ReadinessCheck[],
  ) {
    this.settings = deliverySettingsOf(config);
    // service-kit builds the readiness list once per module; billing adds its delivery check to it.
    readinessChecks.push({ name: 'billing-system-delivery', check: () => this.readiness() });
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** The key of the advisory lock its first lane holds now (sender-lock.ts), undefined while it holds none. */
  get senderLock(): number | undefined {
    return this.lanes[0]?.lock.key;
  }

  /** "host:port" of the billing system, or null when delivery is off. */
  get target(): string | null {
    return this.settings.enabled ? `${this.settings.host}:${this.settings.port}` : null;
  }

  onApplicationBootstrap(): void {
    const settings = this.settings;
    if (!settings.enabled) {
      this.runtime.logger.warn({ delivery: 'off' }, `DFT^P03 delivery is OFF: ${DELIVERY_OFF_REASON}`);
      return;
    }
    this.runtime.logger.info(
      {
        delivery: 'on',
        target: this.target,
        receivingApplication: settings.receivingApplication,
        receivingFacility: settings.receivingFacility,
        ackTimeoutMs: settings.ackTimeoutMs,
        connections: settings.connections,
        retry: settings.retry,
        tls: settings.tls !== undefined,
        clientCertificate: settings.tls?.certFile !== undefined,
        instance: this.instance,
      },
      `DFT^P03 delivery is ON: charges and credits go to ${this.target} over MLLP${settings.tls ? ' over TLS' : ''}` +
        (settings.connections > 1 ? ` on ${settings.connections} connections` : ''),
    );
    if (!settings.tls && this.config.SLIDECHARGE_ENV === 'production') {
      this.runtime.logger.warn('DFT^P03 delivery without TLS: charges (patient ids, diagnoses) cross the network in clear. Set BILLING_DFT_TLS=true, or keep the link on a VPN / stunnel');
    }
    const tls = settings.tls ? loadDftTls(settings.tls) : undefined;
    const target = { host: settings.host, port: settings.port, ...(tls ? { tls } : {}) };
    this.lanes = Array.from({ length: settings.connections }, (_, i) => ({
      instance: i === 0 ? this.instance : `${this.instance}/${i + 1}`,
      sender: new MllpSender(target, settings.ackTimeoutMs, this.runtime.logger),
      lock: new SenderLock(this.config.DATABASE_URL, this.runtime.logger, SENDER_LOCK_TIMEOUT_MS),
      consecutiveConnectionErrors: 0,
      wakeUp: undefined,
      error: undefined,
    }));
    this.unsetQueueSource = setDeliveryQueueSource(async () => (await this.repository.depth(new Date())).counts);
    this.loop = Promise.all(this.lanes.map((lane) => this.run(lane, settings))).then(() => undefined);
  }

  /** Looks for due deliveries now instead of at the next poll (after a manual retry). */
  wake(): void {
    for (const lane of this.lanes) lane.wakeUp?.();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    for (const lane of this.lanes) {
      await lane.sender.close();
      await lane.lock.release();
    }
    this.unsetQueueSource?.();
  }

  private async run(lane: Lane, settings: EnabledDeliverySettings): Promise<void> {
    while (!this.stopping) {
      let pauseMs = settings.pollMs;
      try {
        const sent = await this.deliverBatch(lane, settings);
        if (sent === 'connection-error') {
          // The billing system is unreachable: wait before the next delivery too, growing like a backoff.
          lane.consecutiveConnectionErrors += 1;
          pauseMs = backoffDelayMs(lane.consecutiveConnectionErrors, settings.retry);
        } else if (sent !== undefined) {
          lane.consecutiveConnectionErrors = 0;
          pauseMs = 0;
        }
        lane.error = undefined;
      } catch (e) {
        // The database (claim or record) failed: the deliveries stay claimed until their lease runs out,
        // or less when this lane's lock session is gone too (another sender takes them as a dead one's).
        lane.error = (e as Error).message;
        this.runtime.logger.error({ err: e, lane: lane.instance }, 'DFT^P03 delivery: could not claim or record a delivery; trying again');
      }
      if (pauseMs > 0 && !this.stopping) await this.sleep(lane, pauseMs);
    }
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      lane.wakeUp = done;
    }).finally(() => {
      lane.wakeUp = undefined;
    });
  }

  /**
   * Claims a batch of due deliveries and sends them in order; returns the last outcome
   * ('connection-error' when the billing system was unreachable), or undefined when nothing was due.
   */
  private async deliverBatch(lane: Lane, settings: EnabledDeliverySettings): Promise<AttemptOutcome | undefined> {
    if (this.stopping) return undefined;
    const claimedAt = new Date();
    // Connect timeout and ACK wait each take at most ackTimeoutMs per message; past the lease another sender may take them.
    const leaseUntil = new Date(claimedAt.getTime() + claimLeaseMs(DELIVERY_CLAIM_BATCH, settings.ackTimeoutMs));
    const batch = await this.sending.claimBatch(lane.lock, lane.instance, claimedAt, leaseUntil, DELIVERY_CLAIM_BATCH);
    if (batch.length === 0) return undefined;
    const takenOver = batch.filter((d) => d.interrupted?.senderGone);
    if (takenOver.length > 0) {
      this.runtime.logger.info(
        { takenOver: takenOver.length, from: [...new Set(takenOver.map((d) => d.interrupted?.by ?? 'unknown'))] },
        `took over ${takenOver.length} DFT^P03 claim(s) of a sender that is gone (its lock was free) before their lease ran out`,
      );
    }
    const subjects = await this.sending.subjects(batch).catch((e: unknown) => batch.map(() => (e instanceof Error ? e : new Error(String(e)))));
    const recorder = new OutcomeRecorder((results) => this.record(lane, results));
    let last: AttemptOutcome | undefined;
    let sent = 0;
    for (const [i, delivery] of batch.entries()) {
      if (this.stopping || last === 'connection-error') break;
      if (!(await this.markSending(lane, delivery, settings))) break;
      const result = await this.attempt(lane, delivery, subjects[i] as DeliverySubject | Error, settings);
      recorder.add(result);
      last = result.record.outcome;
      sent += 1;
    }
    await recorder.flush();
    await this.sending.release(lane.instance, batch.slice(sent), new Date());
    return last;
  }

  /**
   * Marks the delivery as being sent through the lock's session; false when this sender must not send it
   * (nor the rest of its batch): its lock session is gone, another sender took it, or the mark answered
   * so late that the sending window could close before the send ends. Never throws.
   */
  private async markSending(lane: Lane, delivery: ClaimedDelivery, settings: EnabledDeliverySettings): Promise<boolean> {
    const started = Date.now();
    let why: string | undefined;
    try {
      const marked = await this.sending.markSending(lane.lock, lane.instance, delivery, sendingWindowMs(settings.ackTimeoutMs));
      if (!marked) why = 'it is no longer this sender\'s claim (another sender took it, or this sender\'s lock changed)';
      else if (Date.now() - started >= SENDING_MARK_MARGIN_MS) why = `marking it took ${Date.now() - started} ms`;
    } catch (e) {
      why = `this sender's lock session failed (${(e as Error).message})`;
    }
    if (why === undefined) return true;
    this.runtime.logger.warn(
      { deliveryId: delivery.id, messageControlId: delivery.messageControlId, attempt: delivery.attempt },
      `DFT^P03 ${delivery.messageControlId} not sent by this sender: ${why}; what it has not sent of its claim is given back`,
    );
    return false;
  }

  /** Builds and sends one delivery's DFT^P03 and reads its ACK; never throws. */
  private async attempt(lane: Lane, delivery: ClaimedDelivery, subject: DeliverySubject | Error, settings: EnabledDeliverySettings): Promise<AttemptResult> {
    const startedAt = new Date();
    let record: AttemptRecord;
    let message: string | null = null;
    try {
      if (subject instanceof Error) throw subject;
      const built = dftMessageOf(delivery, subject, settings);
      if (!built.ok) {
        // Not sent: the case lacks what v2.5.1 requires, or the message fails the check. The delivery fails with the reason.
        return { delivery, record: { outcome: 'not-sendable', detail: built.reason, ack: null, message: null, startedAt, finishedAt: new Date() }, step: { state: 'failed' } };
      }
      message = built.message;
      const result = await lane.sender.send(message);
      const finishedAt = new Date();
      if (result.kind === 'answer') {
        const reading = interpretAck(result.text, delivery.messageControlId);
        record = { outcome: reading.outcome, detail: reading.detail || null, ack: result.text, message, startedAt, finishedAt };
        deliveryMetrics.ackSeconds.observe({ outcome: reading.outcome }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
      } else {
        record = { outcome: result.kind, detail: result.detail, ack: null, message, startedAt, finishedAt };
      }
    } catch (e) {
      record = { outcome: 'internal-error', detail: (e as Error).message, ack: null, message, startedAt, finishedAt: new Date() };
      this.runtime.logger.error({ err: e, deliveryId: delivery.id }, `DFT^P03 ${delivery.messageControlId}: could not build or send it`);
    }
    return { delivery, record, step: nextStepAfter(record.outcome, delivery.attempt, settings.retry, record.finishedAt) };
  }

  /** Records outcomes (one transaction for all of them), then counts and logs each. */
  private async record(lane: Lane, results: AttemptResult[]): Promise<void> {
    const applied = await this.sending.recordAttempts(lane.instance, results);
    for (const { delivery, record, step } of results) {
      const changed = applied.has(delivery.id);
      deliveryMetrics.attempts.inc({ kind: delivery.kind, outcome: record.outcome });
      if (changed && step.state === 'failed') deliveryMetrics.failed.inc({ kind: delivery.kind });
      this.last = { outcome: record.outcome, at: record.finishedAt.toISOString(), messageControlId: delivery.messageControlId };
      this.log(delivery, record, step, changed);
    }
  }

  private log(delivery: ClaimedDelivery, record: AttemptRecord, step: ReturnType<typeof nextStepAfter>, applied: boolean): void {
    const what = `DFT^P03 ${delivery.messageControlId} (${delivery.kind} ${delivery.creditId ?? delivery.chargeId}, ${delivery.accessionNumber})`;
    const fields = {
      deliveryId: delivery.id,
      kind: delivery.kind,
      chargeId: delivery.chargeId,
      creditId: delivery.creditId ?? undefined,
      accessionNumber: delivery.accessionNumber,
      messageControlId: delivery.messageControlId,
      attempt: delivery.attempt,
      outcome: record.outcome,
      detail: record.detail ?? undefined,
      ms: record.finishedAt.getTime() - record.startedAt.getTime(),
    };
    if (!applied && step.state !== 'acked') {
      this.runtime.logger.warn(fields, `${what}: attempt ${delivery.attempt} ${record.outcome}, but another sender took it over meanwhile`);
    } else if (step.state === 'acked') {
      this.runtime.logger.info(fields, `${what} acknowledged (${record.outcome}) at attempt ${delivery.attempt}`);
    } else if (step.state === 'pending') {
      this.runtime.logger.warn(
        { ...fields, nextAttemptAt: step.nextAttemptAt.toISOString() },
        `${what}: attempt ${delivery.attempt} ${record.outcome}${record.detail ? ` (${record.detail})` : ''}; next attempt in ${step.delayMs} ms`,
      );
    } else {
      this.runtime.logger.error(
        fields,
        `${what} FAILED after ${delivery.attempt} attempts (last: ${record.outcome}${record.detail ? `, ${record.detail}` : ''}); ` +
          `it waits for POST /deliveries/${delivery.id}/retry`,
      );
    }
  }

  private async readiness(): Promise<Record<string, unknown>> {
    if (!this.settings.enabled) return { enabled: false, note: DELIVERY_OFF_REASON };
    const failing = this.lanes.find((lane) => lane.error !== undefined);
    if (failing) throw new Error(`DFT^P03 delivery cannot use the database: ${failing.error}`);
    const { counts, oldestDueSeconds } = await this.repository.depth(new Date());
    return {
      enabled: true,
      target: this.target,
      tls: this.settings.tls !== undefined,
      connections: this.settings.connections,
      pending: counts.pending,
      inFlight: counts['in-flight'],
      failed: counts.failed,
      oldestDueSeconds,
      ...(this.last ? { lastAttempt: this.last } : {}),
    };
  }
}
