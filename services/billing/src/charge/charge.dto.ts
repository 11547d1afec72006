import { z } from 'zod';

/** A charge id in a path: a UUID. */
export const ChargeIdParam = z.uuid('must be a UUID');
