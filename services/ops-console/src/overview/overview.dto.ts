import { z } from 'zod';

/** GET /api/charge-lag query. */
export const ChargeLagQuery = z.object({
  measure: z.enum(['scan-to-charge', 'case-to-charge'], { error: 'must be scan-to-charge or case-to-charge' }).default('scan-to-charge'),
  window: z.enum(['1h', '24h'], { error: 'must be 1h or 24h' }).default('1h'),
});
export type ChargeLagQuery = z.output<typeof ChargeLagQuery>;
