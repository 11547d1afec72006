import { z } from 'zod';
import { TOPICS, TopicName } from './topics';

/**
 * Builds the AsyncAPI 3.0 document from the topic contracts, so the document can never drift from the
 * schemas the services validate with. `npm run docs:asyncapi` writes it to docs/asyncapi.json and a
 * unit test fails if the committed file differs.
 */
export function buildAsyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const name of Object.keys(TOPICS) as TopicName[]) {
    const topic = TOPICS[name];
    const messageName = name.replace(/[^A-Za-z0-9]+/g, '_');
    messages[messageName] = {
      name: messageName,
      contentType: 'application/json',
      summary: topic.description,
      headers: {
        type: 'object',
        properties: {
          'x-correlation-id': { type: 'string', description: 'Correlation id carried from the originating request or event.' },
          'x-event-type': { type: 'string', description: 'The envelope type, for routing without parsing the body.' },
          'x-producer': { type: 'string', description: 'The service that produced the message.' },
          traceparent: {
            type: 'string',
            pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
            description:
              'W3C trace context (00-<trace id>-<parent span id>-<flags>): the producer span of the message. Consumers continue the trace; a missing or invalid value starts a new one. Scanner middleware may send it on scanner.ingress.v1.',
          },
          tracestate: { type: 'string', description: 'W3C trace context vendor entries that travel with traceparent, when any.' },
        },
      },
      payload: z.toJSONSchema(topic.schema, { io: 'input', unrepresentable: 'any' }),
      bindings: { kafka: { key: { type: 'string', description: topic.key } } },
    };
    channels[messageName] = {
      address: name,
      description: `${topic.description} Key: ${topic.key}. Producer: ${topic.producer}. Consumers: ${topic.consumers.join(', ')}.`,
      messages: { [messageName]: { $ref: `#/components/messages/${messageName}` } },
    };
    operations[`publish_${messageName}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${messageName}` },
      summary: `${topic.producer} publishes to ${name}`,
    };
    operations[`consume_${messageName}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${messageName}` },
      summary: `${topic.consumers.join(', ')} consume ${name}`,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'slidecharge topics',
      version,
      description:
        'Kafka topics of slidecharge. Every message value is UTF-8 JSON; events slidecharge produces use the envelope {eventId, type, schemaVersion, occurredAt, producer, correlationId, data}. Messages that fail their schema go to slidecharge.dead-letter.v1.',
    },
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka-secure',
        description: 'single-node broker from scripts/kafka.sh: TLS, SASL/SCRAM-SHA-512, one principal per producer and consumer, ACLs from the topic table',
        security: [{ $ref: '#/components/securitySchemes/scram' }],
      },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        scram: { type: 'scramSha512', description: 'SASL/SCRAM-SHA-512 over TLS; each producer and consumer named on a channel is its own principal (docs/operations.md).' },
      },
    },
  };
}
