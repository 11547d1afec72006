import { randomUUID } from 'node:crypto';
import { EventEnvelope, findUnsafeText, HEADERS, TopicMessage, TopicName, validateTopicMessage } from '@slidecharge/contracts';
import { currentCorrelationId } from './correlation';
import { traceHeaders } from './trace-context';

/** An event ready to be written to the outbox or published: topic, key, validated value, headers. */
export interface OutgoingMessage<T extends TopicName = TopicName> {
  topic: T;
  key: string;
  value: TopicMessage<T>;
  headers: Record<string, string>;
}

export class ContractViolationError extends Error {
  constructor(
    readonly topic: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`message for ${topic} breaks its contract: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/**
 * Checks a value about to be written to `topic`: no text Postgres or a downstream parser would choke
 * on (NUL, other control characters, unpaired surrogates, absurd nesting; see findUnsafeText), then
 * the topic's contract. Throws ContractViolationError naming the field; returns the parsed value.
 */
export function checkOutgoing<T extends TopicName>(topic: T, value: unknown): TopicMessage<T> {
  const unsafe = findUnsafeText(value);
  if (unsafe) throw new ContractViolationError(topic, [unsafe]);
  const checked = validateTopicMessage(topic, value);
  if (!checked.ok) throw new ContractViolationError(topic, checked.issues);
  return checked.value;
}

type EnvelopeOf<T extends TopicName> = Extract<TopicMessage<T>, EventEnvelope>;

/**
 * Wraps `data` in the standard envelope for `topic` and checks it (checkOutgoing), so nothing that
 * breaks a contract or carries unsafe text is ever stored in an outbox or sent. Its headers carry the
 * correlation id and the active trace context.
 */
export function buildEvent<T extends TopicName>(
  topic: T,
  type: EnvelopeOf<T>['type'],
  key: string,
  data: EnvelopeOf<T>['data'],
  options: { producer: string; eventId?: string; occurredAt?: Date; correlationId?: string },
): OutgoingMessage<T> {
  const correlationId = options.correlationId ?? currentCorrelationId() ?? randomUUID();
  const candidate = {
    eventId: options.eventId ?? randomUUID(),
    type,
    schemaVersion: 1,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    producer: options.producer,
    correlationId,
    data,
  };
  return {
    topic,
    key,
    value: checkOutgoing(topic, candidate),
    // The trace context of the span writing the event (request, consumer, HL7 message): the outbox keeps
    // it with the record and the relay continues it (trace-context.ts).
    headers: { [HEADERS.correlationId]: correlationId, [HEADERS.eventType]: String(type), [HEADERS.producer]: options.producer, ...traceHeaders() },
  };
}
