import { z } from 'zod';
import { CaseEvent } from './case-events';
import { ChargeEvent } from './charge-events';
import { DeadLetter } from './dead-letter';
import type { KafkaPrincipal } from './kafka-principals';
import { QcEvent } from './qc-events';
import { ScanEvent, ScannerMiddlewareEvent } from './scan-events';

/**
 * Every Kafka topic slidecharge uses, with its key and payload schema: the single definition that
 * producers, consumers, the AsyncAPI document and the tests all read. The compiler checks topic names
 * and payload types at every publish and subscribe. Producer and consumers are Kafka principals
 * (kafka-principals.ts): the broker's ACLs are derived from them (kafka-access.ts).
 */
export const TOPICS = {
  'lis.case-events.v1': {
    description: 'Case created, updated or cancelled in the LIS; each event carries the whole case (latest version wins).',
    key: 'accessionNumber',
    producer: 'accession',
    consumers: ['billing', 'ops-console'],
    schema: CaseEvent,
  },
  'scanner.ingress.v1': {
    description: 'Raw scanner-middleware events, produced directly by middleware that speaks Kafka. Validated and de-duplicated by scanner-events.',
    key: 'slideBarcode',
    producer: 'scanner-middleware',
    consumers: ['scanner-events'],
    schema: ScannerMiddlewareEvent,
  },
  'scan.events.v1': {
    description: 'Normalized scan started / completed / failed events, one per middleware event after de-duplication.',
    key: 'slideBarcode',
    producer: 'scanner-events',
    consumers: ['qc', 'billing', 'ops-console'],
    schema: ScanEvent,
  },
  'qc.results.v1': {
    description: 'Image-quality verdict for each completed scan, with the checks and reasons.',
    key: 'slideBarcode',
    producer: 'qc',
    consumers: ['billing', 'ops-console'],
    schema: QcEvent,
  },
  'billing.charges.v1': {
    description: 'Digitization charges (0753T and siblings) for billing systems: charge.posted (FT1-6 = CG) and charge.credited (FT1-6 = CD, creditFor = the reversed chargeId). chargeId and creditId are stable: drop repeats by them. Held charges appear only once released from the review queue.',
    key: 'accessionNumber',
    producer: 'billing',
    consumers: ['billing-system', 'ops-console'],
    schema: ChargeEvent,
  },
  'slidecharge.dead-letter.v1': {
    description: 'Messages a consumer could not take, with the reason and the original bytes.',
    key: 'source topic/partition/offset',
    producer: 'any consumer',
    consumers: ['admin'],
    retentionDays: 30,
    schema: DeadLetter,
  },
} as const satisfies Record<string, TopicDefinition>;

export interface TopicDefinition {
  description: string;
  key: string;
  /** The principal that writes the topic; 'any consumer' = every service that consumes a topic (dead letters). */
  producer: KafkaPrincipal | 'any consumer';
  consumers: readonly KafkaPrincipal[];
  /** How long the broker keeps messages; unset = the broker's default (7 days in scripts/kafka.sh). */
  retentionDays?: number;
  schema: z.ZodType;
}

export type TopicName = keyof typeof TOPICS;
/** The payload type of a topic, as producers write it (input) and consumers read it (output). */
export type TopicMessage<T extends TopicName> = z.output<(typeof TOPICS)[T]['schema']>;
export type TopicMessageInput<T extends TopicName> = z.input<(typeof TOPICS)[T]['schema']>;

export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];
export const DEAD_LETTER_TOPIC = 'slidecharge.dead-letter.v1' satisfies TopicName;

/** Headers set on every message slidecharge produces. */
export const HEADERS = {
  correlationId: 'x-correlation-id',
  eventType: 'x-event-type',
  producer: 'x-producer',
  /** W3C trace context (https://www.w3.org/TR/trace-context/): 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>. */
  traceparent: 'traceparent',
  /** W3C trace context: vendor entries that travel with traceparent, when there are any. */
  tracestate: 'tracestate',
} as const;

/** A W3C traceparent of version 00: groups 1 and 2 are the trace id (32 hex) and the parent span id (16 hex). */
export const TRACE_HEADER_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
