import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, exposed by service-kit at GET /metrics. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const messagingMetrics = {
  published: new Counter({ name: 'slidecharge_messages_published_total', help: 'Messages published to Kafka', labelNames: ['topic'], registers: [metricsRegistry] }),
  consumed: new Counter({ name: 'slidecharge_messages_consumed_total', help: 'Messages handled successfully', labelNames: ['topic', 'group'], registers: [metricsRegistry] }),
  deadLettered: new Counter({ name: 'slidecharge_messages_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['topic', 'reason'], registers: [metricsRegistry] }),
  handleSeconds: new Histogram({ name: 'slidecharge_message_handle_seconds', help: 'Time to handle one message', labelNames: ['topic'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [metricsRegistry] }),
  outboxPending: new Counter({ name: 'slidecharge_outbox_relayed_total', help: 'Outbox records relayed to Kafka', labelNames: ['schema'], registers: [metricsRegistry] }),
};
