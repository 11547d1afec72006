import { z } from 'zod';
import { IsoDateTime } from './primitives';

/**
 * Every event slidecharge publishes travels in this envelope. `eventId` is unique per event and is
 * what consumers record to drop repeats; `type` selects the payload schema; `schemaVersion` lets a
 * payload evolve without renaming the topic.
 */
export function envelope<TType extends string, TData extends z.ZodType>(type: TType, data: TData) {
  return z.object({
    eventId: z.uuid(),
    type: z.literal(type),
    schemaVersion: z.literal(1),
    occurredAt: IsoDateTime,
    producer: z.string().min(1),
    correlationId: z.string().min(1).max(128),
    data,
  });
}

export interface EventEnvelope<TType extends string = string, TData = unknown> {
  eventId: string;
  type: TType;
  schemaVersion: 1;
  occurredAt: string;
  producer: string;
  correlationId: string;
  data: TData;
}
