import { CaseSnapshot } from '@slidecharge/contracts';
import { buildSnapshot, detailsOf } from './case.model';
import { CaseCancelledError, CaseError, CaseNotFoundError, SameCaseMoveError, SlideNotFoundError, UnknownSpecimenError } from './case.errors';

/**
 * Moving slides between cases (the LIS re-accessions a slide), decided from the two cases as stored
 * (both locked) and the request alone. A move changes both cases in one decision: the case that loses
 * the slide and the case that gains it each get version + 1 and a case.updated event.
 */

/** How a move was asked for: the move route, or an order (PUT /cases, HL7) listing a slide of another case. */
export type SlideMoveVia = 'move' | 'order';

/** One slide that changed case, as the slide_move record keeps it. */
export interface SlideMove {
  barcode: string;
  fromAccessionNumber: string;
  fromSpecimenId: string;
  fromVersion: number;
  toAccessionNumber: string;
  toSpecimenId: string;
  toVersion: number;
  via: SlideMoveVia;
  reason: string;
}

export interface SlideMoveRequest {
  fromAccessionNumber: string;
  barcode: string;
  toAccessionNumber: string;
  toSpecimenId: string;
  reason: string;
}

export type SlideMoveDecision =
  | { outcome: 'moved'; from: CaseSnapshot; to: CaseSnapshot; move: SlideMove }
  | { outcome: 'unchanged'; from: CaseSnapshot; to: CaseSnapshot }
  | { outcome: 'refused'; error: CaseError };

const refused = (error: CaseError): SlideMoveDecision => ({ outcome: 'refused', error });

/**
 * POST /cases/:from/slides/:barcode/move. Refused: the same case (400), either case unknown (404), the
 * slide not on the source case (404), either case cancelled (409), a specimen the target case does not
 * have (409). A repeat of a move that is done (the slide is on the target case at that specimen) changes
 * nothing, so a caller may retry.
 */
export function decideSlideMove(from: CaseSnapshot | undefined, to: CaseSnapshot | undefined, request: SlideMoveRequest): SlideMoveDecision {
  const { fromAccessionNumber, toAccessionNumber, barcode, toSpecimenId } = request;
  if (fromAccessionNumber === toAccessionNumber) return refused(new SameCaseMoveError(fromAccessionNumber));
  if (!from) return refused(new CaseNotFoundError(fromAccessionNumber));
  if (!to) return refused(new CaseNotFoundError(toAccessionNumber));
  const slide = from.slides.find((s) => s.barcode === barcode);
  if (!slide) {
    const done = to.slides.some((s) => s.barcode === barcode && s.specimenId === toSpecimenId);
    return done ? { outcome: 'unchanged', from, to } : refused(new SlideNotFoundError(fromAccessionNumber, barcode));
  }
  if (from.status === 'cancelled') return refused(new CaseCancelledError(fromAccessionNumber, from.version));
  if (to.status === 'cancelled') return refused(new CaseCancelledError(toAccessionNumber, to.version));
  if (!to.specimens.some((s) => s.specimenId === toSpecimenId)) return refused(new UnknownSpecimenError(toAccessionNumber, toSpecimenId));
  const losing = withoutSlides(from, new Set([barcode]));
  const gaining = buildSnapshot(toAccessionNumber, 'active', to.version + 1, { ...detailsOf(to), slides: [...to.slides, { ...slide, specimenId: toSpecimenId }] });
  return {
    outcome: 'moved',
    from: losing,
    to: gaining,
    move: { barcode, fromAccessionNumber, fromSpecimenId: slide.specimenId, fromVersion: losing.version, toAccessionNumber, toSpecimenId, toVersion: gaining.version, via: 'move', reason: request.reason },
  };
}

/**
 * An order for case `to` (PUT /cases/:to, an HL7 order) lists slides that belong to the active case
 * `owner`: the order takes them. Returns the owner without them (version + 1) and one move per slide,
 * or undefined when the owner (read again under its lock) no longer has any of them or is cancelled.
 */
export function decideSlidesTaken(owner: CaseSnapshot, to: CaseSnapshot, barcodes: ReadonlySet<string>, reason: string): { owner: CaseSnapshot; moves: SlideMove[] } | undefined {
  const taken = owner.slides.filter((s) => barcodes.has(s.barcode));
  if (owner.status !== 'active' || taken.length === 0) return undefined;
  const losing = withoutSlides(owner, new Set(taken.map((s) => s.barcode)));
  const target = new Map(to.slides.map((s) => [s.barcode, s.specimenId]));
  const moves = taken.map((s) => ({
    barcode: s.barcode,
    fromAccessionNumber: owner.accessionNumber,
    fromSpecimenId: s.specimenId,
    fromVersion: losing.version,
    toAccessionNumber: to.accessionNumber,
    toSpecimenId: target.get(s.barcode) ?? s.specimenId,
    toVersion: to.version,
    via: 'order' as const,
    reason,
  }));
  return { owner: losing, moves };
}

/** The case without the given slides, version + 1 (its specimens stay). */
function withoutSlides(snapshot: CaseSnapshot, barcodes: ReadonlySet<string>): CaseSnapshot {
  const details = detailsOf(snapshot);
  return buildSnapshot(snapshot.accessionNumber, snapshot.status, snapshot.version + 1, { ...details, slides: details.slides.filter((s) => !barcodes.has(s.barcode)) });
}
