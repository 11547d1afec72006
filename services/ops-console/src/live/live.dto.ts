import { z } from 'zod';

/** GET /api/live query: ?view=wall for the wall screen (no charge activity, nothing that names a case). */
export const LiveQuery = z.object({
  view: z.enum(['wall'], { error: 'must be wall, or absent for the full stream' }).optional(),
});
export type LiveQuery = z.output<typeof LiveQuery>;
