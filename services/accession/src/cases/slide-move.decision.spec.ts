import { CaseDetails, CaseSnapshot } from '@slidecharge/contracts';
import { CaseCancelledError, CaseNotFoundError, SameCaseMoveError, SlideNotFoundError, UnknownSpecimenError } from './case.errors';
import { buildSnapshot } from './case.model';
import { decideSlideMove, decideSlidesTaken, SlideMoveDecision, SlideMoveRequest } from './slide-move.decision';

const details = (slides: CaseDetails['slides'], specimens = ['A', 'B']): CaseDetails =>
  CaseDetails.parse({
    patientId: 'MRN-1',
    payer: { payerId: 'MEDICARE' },
    collectionDate: '2026-11-20',
    specimens: specimens.map((specimenId) => ({ specimenId, primaryCpt: '88305', units: 1 })),
    slides,
  });
const caseA = buildSnapshot('S26-A', 'active', 3, details([
  { barcode: 'SL-1', specimenId: 'A', block: 'A1', stain: 'H&E' },
  { barcode: 'SL-2', specimenId: 'B' },
]));
const caseB = buildSnapshot('S26-B', 'active', 5, details([{ barcode: 'SL-9', specimenId: 'A' }]));
const request = (over: Partial<SlideMoveRequest> = {}): SlideMoveRequest => ({
  fromAccessionNumber: 'S26-A',
  barcode: 'SL-1',
  toAccessionNumber: 'S26-B',
  toSpecimenId: 'B',
  reason: 'label printed on the wrong case',
  ...over,
});
const cancelled = (c: CaseSnapshot) => ({ ...c, status: 'cancelled' as const, cancelReason: 'wrong patient' });
const errorOf = (d: SlideMoveDecision) => (d.outcome === 'refused' ? d.error : undefined);

describe('moving a slide between cases (REST)', () => {
  it('takes the slide off the source case and puts it on the target specimen, both at version + 1, block and stain kept', () => {
    const d = decideSlideMove(caseA, caseB, request());
    if (d.outcome !== 'moved') throw new Error(`expected a move, got ${d.outcome}`);
    expect(d.from.version).toBe(4);
    expect(d.from.slides).toEqual([{ barcode: 'SL-2', specimenId: 'B' }]);
    expect(d.from.specimens).toEqual(caseA.specimens);
    expect(d.to.version).toBe(6);
    expect(d.to.slides).toEqual([
      { barcode: 'SL-9', specimenId: 'A' },
      { barcode: 'SL-1', specimenId: 'B', block: 'A1', stain: 'H&E' },
    ]);
    expect(d.move).toEqual({
      barcode: 'SL-1',
      fromAccessionNumber: 'S26-A',
      fromSpecimenId: 'A',
      fromVersion: 4,
      toAccessionNumber: 'S26-B',
      toSpecimenId: 'B',
      toVersion: 6,
      via: 'move',
      reason: 'label printed on the wrong case',
    });
  });

  it('treats a repeat of a done move as no change (the slide is on the target specimen already)', () => {
    const d = decideSlideMove(caseA, caseB, request({ barcode: 'SL-9', toSpecimenId: 'A' }));
    expect(d).toEqual({ outcome: 'unchanged', from: caseA, to: caseB });
  });

  it('refuses a move to the same case, unknown cases, a slide the case lacks, cancelled cases and an unknown specimen', () => {
    expect(errorOf(decideSlideMove(caseA, caseA, request({ toAccessionNumber: 'S26-A' })))).toBeInstanceOf(SameCaseMoveError);
    expect(errorOf(decideSlideMove(undefined, caseB, request()))).toEqual(new CaseNotFoundError('S26-A'));
    expect(errorOf(decideSlideMove(caseA, undefined, request()))).toEqual(new CaseNotFoundError('S26-B'));
    expect(errorOf(decideSlideMove(caseA, caseB, request({ barcode: 'SL-404' })))).toEqual(new SlideNotFoundError('S26-A', 'SL-404'));
    // On the target case but at another specimen: not a repeat of this move.
    expect(errorOf(decideSlideMove(caseA, caseB, request({ barcode: 'SL-9', toSpecimenId: 'B' })))).toBeInstanceOf(SlideNotFoundError);
    expect(errorOf(decideSlideMove(cancelled(caseA), caseB, request()))).toEqual(new CaseCancelledError('S26-A', 3));
    expect(errorOf(decideSlideMove(caseA, cancelled(caseB), request()))).toEqual(new CaseCancelledError('S26-B', 5));
    const unknown = errorOf(decideSlideMove(caseA, caseB, request({ toSpecimenId: 'Z' })));
    expect(unknown).toEqual(new UnknownSpecimenError('S26-B', 'Z'));
    expect(unknown?.message).toContain('PUT /cases/S26-B');
  });
});

describe('an order taking slides of another active case', () => {
  const order = buildSnapshot('S26-B', 'active', 6, details([
    { barcode: 'SL-9', specimenId: 'A' },
    { barcode: 'SL-2', specimenId: 'A' },
  ]));

  it('writes the owner without the slides the order lists (version + 1) and one move per slide', () => {
    const taken = decideSlidesTaken(caseA, order, new Set(['SL-2']), 'the order for case S26-B lists the slide');
    expect(taken?.owner).toMatchObject({ accessionNumber: 'S26-A', version: 4, slides: [{ barcode: 'SL-1', specimenId: 'A' }] });
    expect(taken?.moves).toEqual([
      {
        barcode: 'SL-2',
        fromAccessionNumber: 'S26-A',
        fromSpecimenId: 'B',
        fromVersion: 4,
        toAccessionNumber: 'S26-B',
        toSpecimenId: 'A',
        toVersion: 6,
        via: 'order',
        reason: 'the order for case S26-B lists the slide',
      },
    ]);
  });

  it('takes nothing from a cancelled owner or one that no longer has the slides', () => {
    expect(decideSlidesTaken(cancelled(caseA), order, new Set(['SL-2']), 'r')).toBeUndefined();
    expect(decideSlidesTaken(caseA, order, new Set(['SL-404']), 'r')).toBeUndefined();
  });
});
