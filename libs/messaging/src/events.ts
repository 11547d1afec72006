import { randomUUID } from 'node:crypto';
import { EventEnvelope, HEADERS, TopicMessage, TopicName, validateTopicMessage } from '@slidecharge/contracts';
import { currentCorrelationId } from './correlation';

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

type EnvelopeOf<T extends TopicName> = Extract<TopicMessage<T>, EventEnvelope>;

/**
 * Wraps `data` in the standard envelope for `topic` and validates it against the topic's contract,
 * so nothing that breaks a contract is ever stored in an outbox or sent.
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
  const checked = validateTopicMessage(topic, candidate);
  if (!checked.ok) throw new ContractViolationError(topic, checked.issues);
  return {
    topic,
    key,
    value: checked.value,
    headers: { [HEADERS.correlationId]: correlationId, [HEADERS.eventType]: String(type), [HEADERS.producer]: options.producer },
  };
}
