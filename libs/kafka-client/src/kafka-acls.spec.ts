import { AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { KafkaAcl } from '@slidecharge/contracts';
import { aclChanges, flattenAcls, toAclEntry } from './kafka-acls';

const writeIngress: KafkaAcl = {
  principal: 'scanner-middleware',
  resourceType: 'topic',
  resourceName: 'scanner.ingress.v1',
  patternType: 'literal',
  operation: 'write',
  permission: 'allow',
};
const denyBillingSystemGroups: KafkaAcl = {
  principal: 'billing',
  resourceType: 'group',
  resourceName: 'billing-system',
  patternType: 'prefixed',
  operation: 'all',
  permission: 'deny',
};
const entry = (over: Partial<AclEntry>): AclEntry => ({ ...toAclEntry(writeIngress), ...over });

describe('Kafka ACLs from the access table', () => {
  it('maps a row to the broker form', () => {
    expect(toAclEntry(writeIngress)).toEqual({
      principal: 'User:scanner-middleware',
      host: '*',
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'scanner.ingress.v1',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.ALLOW,
    });
    expect(toAclEntry(denyBillingSystemGroups)).toMatchObject({
      resourceType: AclResourceTypes.GROUP,
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      operation: AclOperationTypes.ALL,
      permissionType: AclPermissionTypes.DENY,
    });
  });

  it('flattens describeAcls resources into one entry per ACL', () => {
    const { principal, host, operation, permissionType, ...resource } = toAclEntry(writeIngress);
    const flat = flattenAcls([{ ...resource, acls: [{ principal, host, operation, permissionType }, { principal, host, operation: AclOperationTypes.DESCRIBE, permissionType }] }]);
    expect(flat).toEqual([toAclEntry(writeIngress), { ...toAclEntry(writeIngress), operation: AclOperationTypes.DESCRIBE }]);
  });

  it('adds what is missing, removes what the table no longer has, and leaves other principals alone', () => {
    const wanted = [toAclEntry(writeIngress), toAclEntry(denyBillingSystemGroups)];
    const stale = entry({ resourceName: 'scan.events.v1' });
    const foreign = entry({ principal: 'User:someone-else', resourceName: 'scan.events.v1' });
    const changes = aclChanges(wanted, [toAclEntry(writeIngress), stale, foreign], ['scanner-middleware', 'billing']);
    expect(changes).toEqual({ create: [toAclEntry(denyBillingSystemGroups)], remove: [stale] });
  });

  it('changes nothing when the broker already holds the table', () => {
    const wanted = [toAclEntry(writeIngress)];
    expect(aclChanges(wanted, wanted, ['scanner-middleware'])).toEqual({ create: [], remove: [] });
  });
});
