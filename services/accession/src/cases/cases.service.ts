import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CaseDetails, CaseSnapshot } from '@slidecharge/contracts';
import { buildEvent, Logger, OutgoingMessage, postgresErrorOf, writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { Prisma } from '../generated/prisma/client';
import { CaseDecision, decideCancel, decideCreate, decideReplace, withStoredSlides } from './case.decisions';
import { decideSpecimenCancel, decideSpecimenOrder, type SpecimenCancel, type SpecimenOrder } from './case-merge.decision';
import { BarcodeConflictError, BarcodeOwner, CaseNotFoundError, CaseTooLargeError } from './case.errors';
import { eventBytes } from './case-size';
import { CasePage, CaseView, encodeCursor, ListCasesQuery } from './case.model';
import { ACCESSION_SCHEMA, CaseRepository, Db } from './case.repository';
import { decideSlideMove, decideSlidesTaken, SlideMove, SlideMoveRequest } from './slide-move.decision';

export type CaseOutcome = Exclude<CaseDecision['outcome'], 'refused'>;

export interface CaseChange {
  outcome: CaseOutcome;
  snapshot: CaseSnapshot;
  /** Slides this change took from other active cases (an order listing them); each of those cases got case.updated. */
  moves?: SlideMove[];
}

/** The two cases after a slide move; `moved` false when the move was done already (a retry). */
export interface SlideMoveResult {
  moved: boolean;
  from: CaseSnapshot;
  to: CaseSnapshot;
}

/** Who asked for a slide move when the caller names no one: an HL7 order from the LIS. */
export const ORDER_ACTOR = 'LIS order';

/** Options every write takes. */
export interface WriteOptions {
  /**
   * Runs inside the case's transaction once the decision is written (also when nothing changed),
   * before the commit: what it writes commits or rolls back together with the case change and its
   * outbox record. Throwing rolls everything back and reaches the caller. After a lost race (see
   * isRetryable) the whole transaction, this included, runs again.
   */
  inTransaction?: (tx: Db, change: CaseChange) => Promise<void>;
  /** Who asked, for the record of slides an order takes from other cases (actorLabel of the token); default ORDER_ACTOR. */
  actor?: string;
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
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  // A deadlock detected inside a raw query (the row locks) surfaces as P2010 around Postgres's 40P01.
  return error.code === 'P2002' || error.code === 'P2034' || postgresErrorOf(error)?.sqlState === '40P01';
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
    const change = await this.apply(accessionNumber, details.slides.map((s) => s.barcode), (current) => decideCreate(current, accessionNumber, details), options, false);
    return change.snapshot;
  }

  /**
   * Creates the case or replaces its details; identical details change nothing and publish nothing.
   * An order is the LIS's word on the case: a slide it lists that belongs to another active case moves
   * to this one in the same transaction (that case gets version + 1 and case.updated without it).
   */
  replace(accessionNumber: string, details: CaseDetails, options: ReplaceOptions = {}): Promise<CaseChange> {
    const decide = (current: CaseSnapshot | undefined) =>
      decideReplace(current, accessionNumber, options.keepSlidesWhenNone ? withStoredSlides(details, current) : details);
    return this.apply(accessionNumber, details.slides.map((s) => s.barcode), decide, options, true);
  }

  /** Cancels the case (final); cancelling a cancelled case changes nothing. */
  cancel(accessionNumber: string, reason: string, options: CancelOptions = {}): Promise<CaseChange> {
    return this.apply(accessionNumber, [], (current) => decideCancel(current, accessionNumber, reason, options.patientId), options, false);
  }

  /**
   * Moves one slide to a specimen of another case: both cases locked (in accession-number order, so two
   * moves in opposite directions cannot deadlock), both get version + 1, both case.updated events go to
   * the outbox together (the gaining case's first) with the move record, in one transaction. A repeat of
   * a move that is done changes nothing. Refusals are CaseErrors (see decideSlideMove).
   */
  moveSlide(request: SlideMoveRequest, actor: string): Promise<SlideMoveResult> {
    return this.retrying(request.fromAccessionNumber, async () => {
      const result = await this.cases.transaction((tx) => this.moveInTransaction(tx, request, actor));
      if (result.moved) {
        this.runtime.wakeRelay();
        this.log.info({ barcode: request.barcode, from: request.fromAccessionNumber, to: request.toAccessionNumber }, 'slide moved to another case');
      }
      return result;
    });
  }

  /** An HL7 order merged per specimen into the case (see case-merge.decision.ts). */
  mergeSpecimens(accessionNumber: string, order: SpecimenOrder, options: WriteOptions = {}): Promise<CaseChange> {
    const barcodes = order.details.slides.map((s) => s.barcode);
    return this.apply(accessionNumber, barcodes, (current) => decideSpecimenOrder(current, accessionNumber, order), options, true);
  }

  /** An HL7 cancel of some specimens (the case when none or all are named). */
  cancelSpecimens(accessionNumber: string, cancel: SpecimenCancel, options: WriteOptions = {}): Promise<CaseChange> {
    return this.apply(accessionNumber, [], (current) => decideSpecimenCancel(current, accessionNumber, cancel), options, false);
  }

  async get(accessionNumber: string): Promise<CaseView> {
    const found = await this.cases.findWithTrace(accessionNumber);
    if (!found) throw new CaseNotFoundError(accessionNumber);
    return { ...found.snapshot, ...(found.traceId ? { traceId: found.traceId } : {}) };
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
  private apply(
    accessionNumber: string,
    barcodes: string[],
    decide: (current: CaseSnapshot | undefined) => CaseDecision,
    options: WriteOptions,
    takeSlides: boolean,
  ): Promise<CaseChange> {
    return this.retrying(accessionNumber, async () => {
      const change = await this.cases.transaction(async (tx) => {
        const change = await this.applyInTransaction(tx, accessionNumber, barcodes, decide, takeSlides ? (options.actor ?? ORDER_ACTOR) : undefined);
        await options.inTransaction?.(tx, change);
        return change;
      });
      if (change.outcome === 'created' || change.outcome === 'updated' || change.outcome === 'cancelled') {
        this.runtime.wakeRelay();
        this.log.info({ accessionNumber, version: change.snapshot.version, outcome: change.outcome, slidesTaken: change.moves?.length ?? 0 }, `case ${change.outcome}`);
      } else {
        this.log.info({ accessionNumber, version: change.snapshot.version, outcome: change.outcome }, 'case not changed');
      }
      return change;
    });
  }

  /** Runs `attempt` again after a race lost on a unique index or a deadlock (at most ATTEMPTS times). */
  private async retrying<R>(accessionNumber: string, attempt: () => Promise<R>): Promise<R> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n >= ATTEMPTS || !isRetryable(error)) throw error;
        const code = (error as { code?: string }).code;
        this.log.info({ accessionNumber, attempt: n, code }, 'case write lost a race on a unique index or a lock; trying again');
      }
    }
  }

  private async applyInTransaction(
    tx: Db,
    accessionNumber: string,
    barcodes: string[],
    decide: (current: CaseSnapshot | undefined) => CaseDecision,
    takeSlidesFor: string | undefined,
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
    if (owners.length && takeSlidesFor === undefined) throw new BarcodeConflictError(accessionNumber, owners);
    // The losing cases are written first: a barcode is unique among active cases at every statement.
    const taken = await this.takeSlides(tx, decision.snapshot, owners);
    if (current) {
      if (decision.outcome === 'cancelled') await this.cases.cancel(tx, decision.snapshot, current.version);
      else await this.cases.replace(tx, decision.snapshot, current.version);
    } else {
      await this.cases.insert(tx, decision.snapshot);
    }
    await writeOutbox(tx, ACCESSION_SCHEMA, [event, ...taken.events]);
    if (taken.moves.length) await this.cases.recordMoves(tx, taken.moves, takeSlidesFor ?? ORDER_ACTOR);
    return { outcome: decision.outcome, snapshot: decision.snapshot, ...(taken.moves.length ? { moves: taken.moves } : {}) };
  }

  /**
   * Takes the slides `owners` hold for the case `to` (an order lists them): locks each owning case in
   * accession-number order, reads it again, and writes it without those slides (version + 1). Returns
   * the owners' case.updated events and the moves.
   */
  private async takeSlides(tx: Db, to: CaseSnapshot, owners: BarcodeOwner[]): Promise<{ events: OutgoingMessage[]; moves: SlideMove[] }> {
    const byOwner = new Map<string, Set<string>>();
    for (const o of owners) byOwner.set(o.accessionNumber, (byOwner.get(o.accessionNumber) ?? new Set()).add(o.barcode));
    const events: OutgoingMessage[] = [];
    const moves: SlideMove[] = [];
    for (const accessionNumber of [...byOwner.keys()].sort()) {
      const owner = await this.cases.lockAndFind(tx, accessionNumber);
      const taken = owner && decideSlidesTaken(owner, to, byOwner.get(accessionNumber) ?? new Set(), `the order for case ${to.accessionNumber} lists the slide`);
      if (!owner || !taken) continue;
      await this.cases.replace(tx, taken.owner, owner.version);
      events.push(buildEvent('lis.case-events.v1', 'case.updated', accessionNumber, taken.owner, { producer: 'accession' }));
      moves.push(...taken.moves);
    }
    return { events, moves };
  }

  private async moveInTransaction(tx: Db, request: SlideMoveRequest, actor: string): Promise<SlideMoveResult> {
    const cases = new Map<string, CaseSnapshot | undefined>();
    for (const accessionNumber of [...new Set([request.fromAccessionNumber, request.toAccessionNumber])].sort()) {
      cases.set(accessionNumber, await this.cases.lockAndFind(tx, accessionNumber));
    }
    const from = cases.get(request.fromAccessionNumber);
    const to = cases.get(request.toAccessionNumber);
    const decision = decideSlideMove(from, to, request);
    if (decision.outcome === 'refused') throw decision.error;
    if (decision.outcome === 'unchanged' || !from || !to) return { moved: false, from: decision.from, to: decision.to };
    const gained = buildEvent('lis.case-events.v1', 'case.updated', to.accessionNumber, decision.to, { producer: 'accession' });
    const lost = buildEvent('lis.case-events.v1', 'case.updated', from.accessionNumber, decision.from, { producer: 'accession' });
    const bytes = eventBytes(gained.value);
    if (bytes > this.config.ACCESSION_MAX_CASE_BYTES) throw new CaseTooLargeError(to.accessionNumber, bytes, this.config.ACCESSION_MAX_CASE_BYTES);
    await this.cases.replace(tx, decision.from, from.version);
    await this.cases.replace(tx, decision.to, to.version);
    await writeOutbox(tx, ACCESSION_SCHEMA, [gained, lost]);
    await this.cases.recordMoves(tx, [decision.move], actor);
    return { moved: true, from: decision.from, to: decision.to };
  }
}
