import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CaseDetails, CaseSnapshot } from '@slidecharge/contracts';
import { buildEvent, Logger, writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { Prisma } from '../generated/prisma/client';
import { CaseDecision, decideCancel, decideCreate, decideReplace, withStoredSlides } from './case.decisions';
import { decideSpecimenCancel, decideSpecimenOrder, type SpecimenCancel, type SpecimenOrder } from './case-merge.decision';
import { BarcodeConflictError, CaseNotFoundError, CaseTooLargeError } from './case.errors';
import { eventBytes } from './case-size';
import { CasePage, encodeCursor, ListCasesQuery } from './case.model';
import { ACCESSION_SCHEMA, CaseRepository, Db } from './case.repository';

export type CaseOutcome = Exclude<CaseDecision['outcome'], 'refused'>;

export interface CaseChange {
  outcome: CaseOutcome;
  snapshot: CaseSnapshot;
}

/** Options every write takes. */
export interface WriteOptions {
  /**
   * Runs inside the case's transaction once the decision is written (also when nothing changed),
   * before the commit: what it writes commits or rolls back together with the case change and its
   * outbox record. Throwing rolls everything back and reaches the caller. After a lost race (see
   * isRetryable) the whole transaction, this included, runs again.
   */
  inTransaction?: (tx: Db, change: CaseChange) => Promise<void>;
}

export interface ReplaceOptions extends WriteOptions {
  /**
   * When the new details carry no slides, keep the stored slides of the specimens still in the case
   * (an HL7 order usually comes before the slides are cut, and a later order may not list them).
   */
  keepSlidesWhenNone?: boolean;
}

export interface CancelOptions extends WriteOptions {
  /** Refuse (PatientMismatchError, naming neither patient) when the stored case belongs to another patient. */
  patientId?: string;
}

/** Errors after which the whole transaction is run again: a unique index lost a race, or a deadlock. */
function isRetryable(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && (error.code === 'P2002' || error.code === 'P2034');
}

const ATTEMPTS = 3;

/**
 * The case store: creates, replaces and cancels cases and publishes each change as the full case on
 * lis.case-events.v1 through the outbox, in the same transaction. Transport-neutral (the REST
 * controller and the HL7 intake call the same methods); refusals are thrown as CaseError subclasses.
 * A created or changed case whose event would be larger than ACCESSION_MAX_CASE_BYTES is refused
 * (CaseTooLargeError) before anything is written: a Kafka record must stay below the broker's limit.
 */
@Injectable()
export class CasesService implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly cases: CaseRepository,
    private readonly runtime: ServiceRuntime,
    @Inject(ACCESSION_CONFIG) private readonly config: Pick<AccessionConfig, 'ACCESSION_MAX_CASE_BYTES'>,
  ) {
    this.log = runtime.logger.child({ component: 'cases' });
  }

  /** Accession consumes nothing, but its outbox relay needs the Kafka connection. */
  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  /** A new case (version 1). Throws CaseExistsError when the accession number is taken. */
  async create(accessionNumber: string, details: CaseDetails, options: WriteOptions = {}): Promise<CaseSnapshot> {
    const change = await this.apply(accessionNumber, details.slides.map((s) => s.barcode), (current) => decideCreate(current, accessionNumber, details), options);
    return change.snapshot;
  }

  /** Creates the case or replaces its details; identical details change nothing and publish nothing. */
  replace(accessionNumber: string, details: CaseDetails, options: ReplaceOptions = {}): Promise<CaseChange> {
    const decide = (current: CaseSnapshot | undefined) =>
      decideReplace(current, accessionNumber, options.keepSlidesWhenNone ? withStoredSlides(details, current) : details);
    return this.apply(accessionNumber, details.slides.map((s) => s.barcode), decide, options);
  }

  /** Cancels the case (final); cancelling a cancelled case changes nothing. */
  cancel(accessionNumber: string, reason: string, options: CancelOptions = {}): Promise<CaseChange> {
    return this.apply(accessionNumber, [], (current) => decideCancel(current, accessionNumber, reason, options.patientId), options);
  }

  /** An HL7 order merged per specimen into the case (see case-merge.decision.ts). */
  mergeSpecimens(accessionNumber: string, order: SpecimenOrder, options: WriteOptions = {}): Promise<CaseChange> {
    const barcodes = order.details.slides.map((s) => s.barcode);
    return this.apply(accessionNumber, barcodes, (current) => decideSpecimenOrder(current, accessionNumber, order), options);
  }

  /** An HL7 cancel of some specimens (the case when none or all are named). */
  cancelSpecimens(accessionNumber: string, cancel: SpecimenCancel, options: WriteOptions = {}): Promise<CaseChange> {
    return this.apply(accessionNumber, [], (current) => decideSpecimenCancel(current, accessionNumber, cancel), options);
  }

  async get(accessionNumber: string): Promise<CaseSnapshot> {
    const snapshot = await this.cases.find(accessionNumber);
    if (!snapshot) throw new CaseNotFoundError(accessionNumber);
    return snapshot;
  }

  async list(query: ListCasesQuery): Promise<CasePage> {
    const rows = await this.cases.list({
      limit: query.limit + 1,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => r.snapshot),
      ...(rows.length > query.limit && last ? { nextCursor: encodeCursor({ createdAt: last.createdAt, accessionNumber: last.snapshot.accessionNumber }) } : {}),
    };
  }

  /**
   * Locks the case, decides, checks the slide barcodes against other active cases, writes the new
   * state and its event to the outbox, commits, wakes the relay. A race lost on a unique index (two
   * creates of one accession number, or of one barcode) is retried and then decided on what won.
   */
  private async apply(
    accessionNumber: string,
    barcodes: string[],
    decide: (current: CaseSnapshot | undefined) => CaseDecision,
    options: WriteOptions,
  ): Promise<CaseChange> {
    for (let attempt = 1; ; attempt++) {
      try {
        const change = await this.cases.transaction(async (tx) => {
          const change = await this.applyInTransaction(tx, accessionNumber, barcodes, decide);
          await options.inTransaction?.(tx, change);
          return change;
        });
        if (change.outcome === 'created' || change.outcome === 'updated' || change.outcome === 'cancelled') {
          this.runtime.wakeRelay();
          this.log.info({ accessionNumber, version: change.snapshot.version, outcome: change.outcome }, `case ${change.outcome}`);
        } else {
          this.log.info({ accessionNumber, version: change.snapshot.version, outcome: change.outcome }, 'case not changed');
        }
        return change;
      } catch (error) {
        if (attempt >= ATTEMPTS || !isRetryable(error)) throw error;
        const code = (error as { code?: string }).code;
        this.log.info({ accessionNumber, attempt, code }, 'case write lost a race on a unique index or a lock; trying again');
      }
    }
  }

  private async applyInTransaction(
    tx: Db,
    accessionNumber: string,
    barcodes: string[],
    decide: (current: CaseSnapshot | undefined) => CaseDecision,
  ): Promise<CaseChange> {
    const current = await this.cases.lockAndFind(tx, accessionNumber);
    const decision = decide(current);
    if (decision.outcome === 'refused') throw decision.error;
    if (!decision.event) return { outcome: decision.outcome, snapshot: decision.snapshot };
    const event = buildEvent('lis.case-events.v1', decision.event, accessionNumber, decision.snapshot, { producer: 'accession' });
    // A cancel adds at most its 500-character reason to a case that was accepted: never refused for size.
    const bytes = eventBytes(event.value);
    if (decision.outcome !== 'cancelled' && bytes > this.config.ACCESSION_MAX_CASE_BYTES) {
      throw new CaseTooLargeError(accessionNumber, bytes, this.config.ACCESSION_MAX_CASE_BYTES);
    }
    const owners = await this.cases.barcodeOwners(tx, accessionNumber, barcodes);
    if (owners.length) throw new BarcodeConflictError(accessionNumber, owners);
    if (current) {
      if (decision.outcome === 'cancelled') await this.cases.cancel(tx, decision.snapshot, current.version);
      else await this.cases.replace(tx, decision.snapshot, current.version);
    } else {
      await this.cases.insert(tx, decision.snapshot);
    }
    await writeOutbox(tx, ACCESSION_SCHEMA, [event]);
    return { outcome: decision.outcome, snapshot: decision.snapshot };
  }
}
