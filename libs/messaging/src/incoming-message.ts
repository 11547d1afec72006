import { SpanKind } from '@opentelemetry/api';
import { IHeaders } from 'kafkajs';
import { DeadLetterReason, findUnsafeText, TopicMessage, TopicName, validateTopicMessage } from '@slidecharge/contracts';
import type { PartitionPause } from './dead-letter-writer';
import { ConsumerStoppingError } from './supervised-consumer';
import { contextFromHeaders, SpanOptions } from './trace-context';

/*
 * A message as a consumer reads it (batch-processor.ts): its headers, the checks it must pass before a
 * handler sees it (JSON, unsafe text, the topic's contract), its consumer span, and the wait that keeps
 * its partition while it is retried or dead-lettered.
 */

/** A message of one topic, already decoded and validated against the topic's contract. */
export interface IncomingMessageOf<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  value: TopicMessage<T>;
  headers: Record<string, string>;
  correlationId: string;
}

/**
 * A message read from one of the topics T: distributive over the union, so a handler switching on
 * `message.topic` gets that topic's payload type.
 */
export type IncomingMessage<T extends TopicName> = T extends TopicName ? IncomingMessageOf<T> : never;

/**
 * A handler throws this when a message is well-formed but can never be processed (a business rule
 * refuses it). The message goes to the dead-letter topic at once instead of being retried.
 */
export class RejectedMessageError extends Error {}

export function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a waiting message looks whether its consumer is stopping. */
const STOP_CHECK_MS = 250;

/**
 * A wait that keeps the partition: heartbeats at least every `heartbeatIntervalMs` (kafkajs sends one
 * only when the interval has passed), and gives up with ConsumerStoppingError when the consumer stops.
 */
export function pauseKeepingPartition(heartbeat: () => Promise<void>, heartbeatIntervalMs: number, isStopping: () => boolean, groupId: string): PartitionPause {
  return async (ms) => {
    const until = Date.now() + ms;
    for (;;) {
      if (isStopping()) throw new ConsumerStoppingError(groupId);
      const left = until - Date.now();
      if (left <= 0) return;
      await sleep(Math.min(left, STOP_CHECK_MS, heartbeatIntervalMs));
      await heartbeat();
    }
  };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export type CheckedMessage<T extends TopicName> =
  | { ok: true; value: TopicMessage<T> }
  | { ok: false; reason: DeadLetterReason; text: string; errors: { path: string; message: string }[] };

/** Why a message failed the checks, for a replay's answer: the decoder's own text may quote the body, so only the reason and the fields. */
export function checkFailureText(failed: { reason: DeadLetterReason; text: string; errors: { path: string; message: string }[] }): string {
  if (failed.reason === 'invalid-json') return 'invalid-json: value is not JSON';
  return `${failed.reason}: ${failed.errors.map((e) => `${e.path} ${e.message}`).join('; ') || failed.text}`;
}

/** Decodes a value as JSON, refuses unsafe text and validates it against the topic's contract. */
export function checkMessage<T extends TopicName>(topic: T, value: Buffer | null): CheckedMessage<T> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(value?.toString('utf8') ?? '');
  } catch (e) {
    return { ok: false, reason: 'invalid-json', text: `value is not JSON: ${errorText(e)}`, errors: [] };
  }
  const unsafe = findUnsafeText(decoded);
  if (unsafe) return { ok: false, reason: 'schema-violation', text: `value breaks the ${topic} contract: ${unsafe.path} ${unsafe.message}`, errors: [unsafe] };
  const checked = validateTopicMessage(topic, decoded);
  if (!checked.ok) return { ok: false, reason: 'schema-violation', text: `value breaks the ${topic} contract`, errors: checked.issues };
  return { ok: true, value: checked.value };
}

/** The consumer span of a message: child of the record's traceparent (the producer span), or a new trace when it has none. */
export function consumerSpan(topic: string, partition: number, headers: Record<string, string>, groupId: string): SpanOptions {
  return {
    name: `process ${topic}`,
    kind: SpanKind.CONSUMER,
    parent: contextFromHeaders(headers),
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': groupId,
    },
  };
}
