import { isObserver, KAFKA_PRINCIPAL_NAMES, KAFKA_PRINCIPALS, KafkaPrincipal } from './kafka-principals';
import { DEAD_LETTER_TOPIC, TOPIC_NAMES, TopicDefinition, TOPICS, TopicName } from './topics';

/**
 * What each Kafka principal may do, derived from the topic table (TOPICS): the one place the
 * broker's ACLs come from (scripts/kafka-setup.ts applies them; docs/operations.md shows them).
 *
 * - the producer of a topic: WRITE + DESCRIBE on it;
 * - a consumer of a topic: READ + DESCRIBE on it;
 * - a service that consumes anything: WRITE + DESCRIBE on the dead-letter topic (it dead-letters what it cannot take);
 * - a principal that consumes anything: READ on the consumer groups whose name starts with its own name
 *   (`billing`, `billing-it-<uuid>`), and DENY on the groups of a principal whose name starts with its
 *   own (`billing` may not join `billing-system` groups);
 * - an observer (`observes: true`, the ops console): DESCRIBE on the consumer groups of every other
 *   service that consumes (prefixed, as their READ) and DESCRIBE on every topic those groups read, so it
 *   can measure their consumer lag; describing never reads a message nor joins a group;
 * - super users (broker, admin) need no ACL; nobody else may create topics or change ACLs.
 */
export type KafkaAclOperation = 'read' | 'write' | 'describe' | 'all';

export interface KafkaAcl {
  principal: KafkaPrincipal;
  resourceType: 'topic' | 'group';
  resourceName: string;
  patternType: 'literal' | 'prefixed';
  operation: KafkaAclOperation;
  permission: 'allow' | 'deny';
}

/** Partitions of every slidecharge topic (the consumers run up to this many members in parallel). */
export const TOPIC_PARTITIONS = 3;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicSetting {
  topic: TopicName;
  numPartitions: number;
  /** Topic-level broker configuration (e.g. retention.ms). */
  config: Record<string, string>;
}

/** The topics the setup creates, with their partitions and configuration. */
export function topicSettings(): TopicSetting[] {
  return TOPIC_NAMES.map((topic) => {
    const definition: TopicDefinition = TOPICS[topic];
    const config: Record<string, string> = {};
    if (definition.retentionDays !== undefined) config['retention.ms'] = String(definition.retentionDays * DAY_MS);
    return { topic, numPartitions: TOPIC_PARTITIONS, config };
  });
}

const isSuper = (principal: KafkaPrincipal) => KAFKA_PRINCIPALS[principal].role === 'super';

/** Topics the principal writes: those it produces, and the dead-letter topic when it is a consuming service. */
export function topicsWrittenBy(principal: KafkaPrincipal): TopicName[] {
  const written = TOPIC_NAMES.filter((topic) => TOPICS[topic].producer === principal);
  const deadLetters = KAFKA_PRINCIPALS[principal].role === 'service' && topicsReadBy(principal).length > 0;
  return deadLetters && !written.includes(DEAD_LETTER_TOPIC) ? [...written, DEAD_LETTER_TOPIC] : written;
}

/** Topics the principal reads (it is one of their consumers). */
export function topicsReadBy(principal: KafkaPrincipal): TopicName[] {
  return TOPIC_NAMES.filter((topic) => {
    const definition: TopicDefinition = TOPICS[topic];
    return definition.consumers.includes(principal);
  });
}

/** Every topic the principal touches: what a service checks for at start. */
export function topicsUsedBy(principal: KafkaPrincipal): TopicName[] {
  return TOPIC_NAMES.filter((topic) => topicsWrittenBy(principal).includes(topic) || topicsReadBy(principal).includes(topic));
}

/** The consumer-group prefix of a principal that reads topics (its own name), else undefined. */
export function groupPrefixOf(principal: KafkaPrincipal): string | undefined {
  return !isSuper(principal) && topicsReadBy(principal).length > 0 ? principal : undefined;
}

function topicAcls(principal: KafkaPrincipal): KafkaAcl[] {
  const allow = (topic: TopicName, operation: KafkaAclOperation): KafkaAcl => ({
    principal,
    resourceType: 'topic',
    resourceName: topic,
    patternType: 'literal',
    operation,
    permission: 'allow',
  });
  return [
    ...topicsWrittenBy(principal).flatMap((topic) => [allow(topic, 'write'), allow(topic, 'describe')]),
    ...topicsReadBy(principal).flatMap((topic) => [allow(topic, 'read'), allow(topic, 'describe')]),
  ];
}

function groupAcls(principal: KafkaPrincipal): KafkaAcl[] {
  const prefix = groupPrefixOf(principal);
  if (prefix === undefined) return [];
  const group = (resourceName: string, operation: KafkaAclOperation, permission: KafkaAcl['permission']): KafkaAcl => ({
    principal,
    resourceType: 'group',
    resourceName,
    patternType: 'prefixed',
    operation,
    permission,
  });
  const othersUnderPrefix = KAFKA_PRINCIPAL_NAMES.map(groupPrefixOf).filter(
    (other): other is string => other !== undefined && other !== prefix && other.startsWith(prefix),
  );
  return [group(prefix, 'read', 'allow'), ...othersUnderPrefix.map((other) => group(other, 'all', 'deny'))];
}

/** The consumer groups an observer measures: those of every other consuming service, by principal (= group prefix). */
export function observedGroupsOf(principal: KafkaPrincipal): { group: string; topics: TopicName[] }[] {
  if (!isObserver(principal)) return [];
  return KAFKA_PRINCIPAL_NAMES.filter((other) => other !== principal && KAFKA_PRINCIPALS[other].role === 'service')
    .map((other) => ({ group: groupPrefixOf(other), topics: topicsReadBy(other) }))
    .filter((o): o is { group: string; topics: TopicName[] } => o.group !== undefined);
}

function observerAcls(principal: KafkaPrincipal): KafkaAcl[] {
  const observed = observedGroupsOf(principal);
  if (observed.length === 0) return [];
  const own = new Set(topicAcls(principal).filter((acl) => acl.operation === 'describe').map((acl) => acl.resourceName));
  const topics = TOPIC_NAMES.filter((topic) => !own.has(topic) && observed.some((o) => o.topics.includes(topic)));
  const describe = (resourceType: KafkaAcl['resourceType'], resourceName: string, patternType: KafkaAcl['patternType']): KafkaAcl => ({
    principal,
    resourceType,
    resourceName,
    patternType,
    operation: 'describe',
    permission: 'allow',
  });
  return [...observed.map((o) => describe('group', o.group, 'prefixed')), ...topics.map((topic) => describe('topic', topic, 'literal'))];
}

/** Every ACL of every principal; super users have none (they bypass the authorizer). */
export function kafkaAcls(): KafkaAcl[] {
  return KAFKA_PRINCIPAL_NAMES.filter((p) => !isSuper(p)).flatMap((p) => [...topicAcls(p), ...groupAcls(p), ...observerAcls(p)]);
}

/** The principals the broker treats as super users. */
export function kafkaSuperUsers(): KafkaPrincipal[] {
  return KAFKA_PRINCIPAL_NAMES.filter(isSuper);
}
