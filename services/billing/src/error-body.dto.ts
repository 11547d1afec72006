import { z } from 'zod';

/** The body of every 4xx/5xx answer of billing's HTTP API. */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
