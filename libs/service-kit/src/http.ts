import { BadRequestException, Injectable, NestMiddleware, PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { describeIssues } from '@slidecharge/contracts';
import { acceptCorrelationId, runWithCorrelation } from '@slidecharge/messaging';

/**
 * Validates a request body (or param) with a contract schema. A 400 answer names every field that is
 * wrong: { error: 'validation_failed', message, issues: [{ path, message }] }.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const issues = describeIssues(result.error);
    throw new BadRequestException({
      error: 'validation_failed',
      message: `${this.what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    });
  }
}

export const CORRELATION_HEADER = 'x-correlation-id';

interface MinimalRequest {
  headers: Record<string, string | string[] | undefined>;
  id?: unknown;
}
interface MinimalResponse {
  setHeader(name: string, value: string): void;
}

/**
 * The caller's correlation id when it is printable ASCII of at most 128 characters, else a new one
 * (acceptCorrelationId): a bad header never refuses a request. `onReplaced` gets the length of a
 * header that was replaced, for the log.
 */
export function correlationIdFrom(header: string | string[] | undefined, onReplaced?: (length: number) => void): string {
  const given = Array.isArray(header) ? header[0] : header;
  const { correlationId, replacedLength } = acceptCorrelationId(given);
  if (replacedLength !== undefined) onReplaced?.(replacedLength);
  return correlationId;
}

/** Takes the caller's x-correlation-id (or makes one), echoes it, and runs the request inside it. */
@Injectable()
export class CorrelationMiddleware implements NestMiddleware {
  use(req: MinimalRequest, res: MinimalResponse, next: () => void): void {
    const correlationId = typeof req.id === 'string' && req.id ? req.id : correlationIdFrom(req.headers[CORRELATION_HEADER]);
    res.setHeader(CORRELATION_HEADER, correlationId);
    runWithCorrelation(correlationId, next);
  }
}

/** Turns a zod schema into an OpenAPI schema object for @ApiBody / @ApiResponse. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}
