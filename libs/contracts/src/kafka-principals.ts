/**
 * Everyone who connects to Kafka, each with its own SCRAM credential. The topic table (topics.ts)
 * names these as producers and consumers, and the ACLs of each (kafka-access.ts) follow from it.
 *
 * - super: bypasses ACLs (the broker's own connections; setup, operators and the test harness).
 * - service: one of slidecharge's services.
 * - external: a system outside slidecharge that speaks Kafka (least of all privileges).
 */
export type KafkaPrincipalRole = 'super' | 'service' | 'external';

/**
 * What a principal is, and whether it is an observer (`observes: true`): an observer may DESCRIBE the
 * consumer groups of the other services and the topics they consume, to measure their consumer lag
 * (committed offsets against log end offsets). Describing reads offsets only, never a message.
 */
export interface KafkaPrincipalDefinition {
  role: KafkaPrincipalRole;
  description: string;
  observes?: boolean;
}

export const KAFKA_PRINCIPALS = {
  broker: { role: 'super', description: "the broker's own inter-broker and controller connections" },
  admin: { role: 'super', description: 'topic and ACL setup, operators, the test harness' },
  accession: { role: 'service', description: 'the accession service' },
  'scanner-events': { role: 'service', description: 'the scanner-events service' },
  qc: { role: 'service', description: 'the qc service' },
  billing: { role: 'service', description: 'the billing service' },
  'ops-console': { role: 'service', description: "the ops console's server (reads the topics into its own read model; observes the other services' consumer lag)", observes: true },
  'scanner-middleware': { role: 'external', description: 'scanner middleware that writes raw scan events to Kafka' },
  'billing-system': { role: 'external', description: 'billing systems that read charges and credits from Kafka' },
} as const satisfies Record<string, KafkaPrincipalDefinition>;

export type KafkaPrincipal = keyof typeof KAFKA_PRINCIPALS;

export const KAFKA_PRINCIPAL_NAMES = Object.keys(KAFKA_PRINCIPALS) as KafkaPrincipal[];

/** Whether the principal is an observer of the other services' consumer groups (see KafkaPrincipalDefinition). */
export function isObserver(principal: KafkaPrincipal): boolean {
  const definition: KafkaPrincipalDefinition = KAFKA_PRINCIPALS[principal];
  return definition.observes === true;
}

export function isKafkaPrincipal(name: string): name is KafkaPrincipal {
  return Object.prototype.hasOwnProperty.call(KAFKA_PRINCIPALS, name);
}
