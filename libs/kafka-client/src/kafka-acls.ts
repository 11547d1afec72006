import { AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, DescribeAclResource, ResourcePatternTypes } from 'kafkajs';
import type { KafkaAcl, KafkaAclOperation } from '@slidecharge/contracts';

const OPERATIONS: Record<KafkaAclOperation, AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  all: AclOperationTypes.ALL,
};

/** A row of the access table (libs/contracts kafka-access.ts) as the broker stores it. */
export function toAclEntry(acl: KafkaAcl): AclEntry {
  return {
    principal: `User:${acl.principal}`,
    host: '*',
    resourceType: acl.resourceType === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: acl.resourceName,
    resourcePatternType: acl.patternType === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    operation: OPERATIONS[acl.operation],
    permissionType: acl.permission === 'allow' ? AclPermissionTypes.ALLOW : AclPermissionTypes.DENY,
  };
}

/** describeAcls' answer as one entry per ACL. */
export function flattenAcls(resources: readonly DescribeAclResource[]): AclEntry[] {
  return resources.flatMap(({ acls, ...resource }) => acls.map((acl) => ({ ...resource, ...acl })));
}

const keyOf = (e: AclEntry) =>
  [e.principal, e.host, e.resourceType, e.resourceName, e.resourcePatternType, e.operation, e.permissionType].join('|');

/**
 * What to change so that the broker holds exactly the wanted ACLs for the principals slidecharge
 * manages: create the missing ones, remove the others of those principals (a permission taken out of
 * the table is taken off the broker). ACLs of any other principal are left alone.
 */
export function aclChanges(
  wanted: readonly AclEntry[],
  existing: readonly AclEntry[],
  managedPrincipals: readonly string[],
): { create: AclEntry[]; remove: AclEntry[] } {
  const wantedKeys = new Set(wanted.map(keyOf));
  const existingKeys = new Set(existing.map(keyOf));
  const managed = new Set(managedPrincipals.map((p) => `User:${p}`));
  return {
    create: wanted.filter((e) => !existingKeys.has(keyOf(e))),
    remove: existing.filter((e) => managed.has(e.principal) && !wantedKeys.has(keyOf(e))),
  };
}

/** Makes the broker's ACLs of the managed principals equal to `acls` (idempotent); returns what changed. */
export async function applyAcls(admin: Admin, acls: readonly KafkaAcl[], managedPrincipals: readonly string[]): Promise<{ created: number; removed: number }> {
  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const { create, remove } = aclChanges(acls.map(toAclEntry), flattenAcls(described.resources), managedPrincipals);
  if (create.length > 0) await admin.createAcls({ acl: create });
  if (remove.length > 0) await admin.deleteAcls({ filters: remove });
  return { created: create.length, removed: remove.length };
}
