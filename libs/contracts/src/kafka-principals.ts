/**
 * Everyone who connects to Kafka, each with its own SCRAM credential. The topic table (topics.ts)
 * names these as producers and consumers, and the ACLs of each (kafka-access.ts) follow from it.
 *
 * - super: bypasses ACLs (the broker's own connections; setup, operators and the test harness).
 * - service: one of slidecharge's services.
 * - external: a system outside slidecharge that speaks Kafka (least of all privileges).
 */
export type KafkaPrincipalRole = 'super' | 'service' | 'external';

export const KAFKA_PRINCIPALS = {
  broker: { role: 'super', description: "the broker's own inter-broker and controller connections" },
  admin: { role: 'super', description: 'topic and ACL setup, operators, the test harness' },
  accession: { role: 'service', description: 'the accession service' },
  'scanner-events': { role: 'service', description: 'the scanner-events service' },
  qc: { role: 'service', description: 'the qc service' },
  billing: { role: 'service', description: 'the billing service' },
  'scanner-middleware': { role: 'external', description: 'scanner middleware that writes raw scan events to Kafka' },
  'billing-system': { role: 'external', description: 'billing systems that read charges and credits from Kafka' },
} as const satisfies Record<string, { role: KafkaPrincipalRole; description: string }>;

export type KafkaPrincipal = keyof typeof KAFKA_PRINCIPALS;

export const KAFKA_PRINCIPAL_NAMES = Object.keys(KAFKA_PRINCIPALS) as KafkaPrincipal[];

export function isKafkaPrincipal(name: string): name is KafkaPrincipal {
  return Object.prototype.hasOwnProperty.call(KAFKA_PRINCIPALS, name);
}
