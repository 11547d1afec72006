import { z } from 'zod';
import { AccessionNumber, CaseSnapshot, SlideBarcode, SpecimenId } from '@slidecharge/contracts';
import { actionRequest } from '@slidecharge/service-kit';

/** POST /cases/:accessionNumber/slides/:barcode/move: the slide's case and barcode (URL-encoded). */
export const SlideMovePathParams = z.object({ accessionNumber: AccessionNumber, barcode: SlideBarcode });
export type SlideMovePathParams = z.output<typeof SlideMovePathParams>;

/** Where the slide goes and why; who moves it is the signed-in caller. */
export const MoveSlideRequest = actionRequest({
  toAccessionNumber: AccessionNumber.describe('The case that takes the slide (it must exist and be active)'),
  toSpecimenId: SpecimenId.describe('The specimen of that case the slide belongs to from now on (it must exist)'),
  reason: z.string().trim().min(1, 'a reason for the move is required').max(500).describe('Why the slide moves, e.g. "re-accessioned: label printed on the wrong case"'),
});
export type MoveSlideRequest = z.output<typeof MoveSlideRequest>;

export const SlideMoveResponse = z.object({
  moved: z.boolean().describe('false when the slide was on the target case at that specimen already (a repeated move): nothing changed, no event'),
  from: CaseSnapshot.describe('The case that lost the slide, as case.updated published it'),
  to: CaseSnapshot.describe('The case that gained the slide, as case.updated published it'),
});
