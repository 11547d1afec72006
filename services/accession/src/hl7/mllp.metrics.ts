import { metricsRegistry } from '@slidecharge/messaging';
import { Counter, Gauge } from 'prom-client';

/** Metrics of the MLLP listener's connections (the messages are counted by the intake). */
export const mllpMetrics = {
  open: new Gauge({
    name: 'slidecharge_mllp_connections_open',
    help: 'MLLP connections open now (TCP accepted, TLS handshake included)',
    registers: [metricsRegistry],
  }),
  refused: new Counter({
    name: 'slidecharge_mllp_connections_refused_total',
    help: 'MLLP connections closed at once: max-connections, max-connections-per-peer, unknown-sender (no ACCESSION_MLLP_SENDERS_FILE entry matches), tls-handshake',
    labelNames: ['reason'],
    registers: [metricsRegistry],
  }),
  closed: new Counter({
    name: 'slidecharge_mllp_connections_closed_total',
    help: 'MLLP connections the listener closed: idle, frame-timeout, framing-errors',
    labelNames: ['reason'],
    registers: [metricsRegistry],
  }),
};
