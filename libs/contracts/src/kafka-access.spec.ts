import { KafkaAcl, kafkaAcls, kafkaSuperUsers, observedGroupsOf, topicSettings, topicsUsedBy } from './kafka-access';
import { KAFKA_PRINCIPAL_NAMES, KafkaPrincipal } from './kafka-principals';
import { DEAD_LETTER_TOPIC, TOPIC_NAMES, TOPICS } from './topics';

/** One principal's ACLs as short lines, e.g. "allow write topic scan.events.v1". */
function permissionsOf(principal: KafkaPrincipal): string[] {
  return kafkaAcls()
    .filter((acl) => acl.principal === principal)
    .map((acl) => `${acl.permission} ${acl.operation} ${acl.resourceType}${acl.patternType === 'prefixed' ? ' prefix' : ''} ${acl.resourceName}`)
    .sort();
}

describe('Kafka access derived from the topic table', () => {
  it('gives each principal exactly its table of permissions', () => {
    const table = Object.fromEntries(KAFKA_PRINCIPAL_NAMES.map((p) => [p, permissionsOf(p)]));
    expect(table).toEqual({
      broker: [],
      admin: [],
      accession: ['allow describe topic lis.case-events.v1', 'allow write topic lis.case-events.v1'],
      'scanner-events': [
        'allow describe topic scan.events.v1',
        'allow describe topic scanner.ingress.v1',
        'allow describe topic slidecharge.dead-letter.v1',
        'allow read group prefix scanner-events',
        'allow read topic scanner.ingress.v1',
        'allow write topic scan.events.v1',
        'allow write topic slidecharge.dead-letter.v1',
      ],
      qc: [
        'allow describe topic qc.results.v1',
        'allow describe topic scan.events.v1',
        'allow describe topic slidecharge.dead-letter.v1',
        'allow read group prefix qc',
        'allow read topic scan.events.v1',
        'allow write topic qc.results.v1',
        'allow write topic slidecharge.dead-letter.v1',
      ],
      billing: [
        'allow describe topic billing.charges.v1',
        'allow describe topic lis.case-events.v1',
        'allow describe topic qc.results.v1',
        'allow describe topic scan.events.v1',
        'allow describe topic slidecharge.dead-letter.v1',
        'allow read group prefix billing',
        'allow read topic lis.case-events.v1',
        'allow read topic qc.results.v1',
        'allow read topic scan.events.v1',
        'allow write topic billing.charges.v1',
        'allow write topic slidecharge.dead-letter.v1',
        'deny all group prefix billing-system',
      ],
      'scanner-middleware': ['allow describe topic scanner.ingress.v1', 'allow write topic scanner.ingress.v1'],
      'billing-system': ['allow describe topic billing.charges.v1', 'allow read group prefix billing-system', 'allow read topic billing.charges.v1'],
      'ops-console': [
        'allow describe group prefix billing',
        'allow describe group prefix qc',
        'allow describe group prefix scanner-events',
        'allow describe topic billing.charges.v1',
        'allow describe topic lis.case-events.v1',
        'allow describe topic qc.results.v1',
        'allow describe topic scan.events.v1',
        'allow describe topic scanner.ingress.v1',
        'allow describe topic slidecharge.dead-letter.v1',
        'allow read group prefix ops-console',
        'allow read topic billing.charges.v1',
        'allow read topic lis.case-events.v1',
        'allow read topic qc.results.v1',
        'allow read topic scan.events.v1',
        'allow write topic slidecharge.dead-letter.v1',
      ],
    });
  });

  it('lets only the producer of a topic write it (and consuming services the dead-letter topic)', () => {
    const writes = kafkaAcls().filter((acl) => acl.operation === 'write' && acl.permission === 'allow');
    for (const acl of writes) {
      if (acl.resourceName === DEAD_LETTER_TOPIC) continue;
      expect(TOPICS[acl.resourceName as keyof typeof TOPICS].producer).toBe(acl.principal);
    }
    expect(writes.filter((acl) => acl.resourceName === DEAD_LETTER_TOPIC).map((acl) => acl.principal).sort()).toEqual(['billing', 'ops-console', 'qc', 'scanner-events']);
  });

  it('lets an observer describe the groups of the consuming services and their topics, and nothing more', () => {
    expect(observedGroupsOf('ops-console')).toEqual([
      { group: 'scanner-events', topics: ['scanner.ingress.v1'] },
      { group: 'qc', topics: ['scan.events.v1'] },
      { group: 'billing', topics: ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1'] },
    ]);
    expect(observedGroupsOf('billing')).toEqual([]);
    const observerOnly = kafkaAcls().filter((acl) => acl.principal === 'ops-console' && acl.resourceType === 'group' && acl.resourceName !== 'ops-console');
    expect(observerOnly.every((acl) => acl.operation === 'describe' && acl.permission === 'allow' && acl.patternType === 'prefixed')).toBe(true);
    // Describing a topic it does not consume gives no READ: it cannot read scanner.ingress.v1.
    expect(kafkaAcls().some((acl) => acl.principal === 'ops-console' && acl.resourceName === 'scanner.ingress.v1' && acl.operation === 'read')).toBe(false);
  });

  it('grants nothing on the cluster, no wildcard and no prefix on topics', () => {
    const acls: KafkaAcl[] = kafkaAcls();
    expect(acls.every((acl) => acl.resourceName !== '*' && acl.resourceName !== '')).toBe(true);
    expect(acls.filter((acl) => acl.resourceType === 'topic').every((acl) => acl.patternType === 'literal')).toBe(true);
  });

  it('makes the broker and admin the only super users', () => {
    expect(kafkaSuperUsers()).toEqual(['broker', 'admin']);
  });

  it('lists the topics a service checks for at start', () => {
    expect(topicsUsedBy('accession')).toEqual(['lis.case-events.v1']);
    expect(topicsUsedBy('qc')).toEqual(['scan.events.v1', 'qc.results.v1', DEAD_LETTER_TOPIC]);
  });

  it('creates every topic with 3 partitions and keeps dead letters 30 days', () => {
    const settings = topicSettings();
    expect(settings.map((s) => s.topic)).toEqual(TOPIC_NAMES);
    expect(settings.every((s) => s.numPartitions === 3)).toBe(true);
    expect(settings.find((s) => s.topic === DEAD_LETTER_TOPIC)?.config).toEqual({ 'retention.ms': String(30 * 24 * 3600 * 1000) });
    expect(settings.filter((s) => s.topic !== DEAD_LETTER_TOPIC).every((s) => Object.keys(s.config).length === 0)).toBe(true);
  });
});
