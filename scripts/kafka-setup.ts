/*
 * Kafka setup from the topic table (libs/contracts): run by scripts/kafka.sh, usable against any
 * cluster by an operator with the admin principal's KAFKA_* settings.
 *
 *   ts-node scripts/kafka-setup.ts principals   one line per principal: "<name> <role>"
 *   ts-node scripts/kafka-setup.ts apply        create missing topics (3 partitions; dead letters kept
 *                                               30 days) and make the ACLs of slidecharge's principals
 *                                               exactly those of the table (idempotent)
 *   ts-node scripts/kafka-setup.ts acls         print the ACL table
 *
 * Connection: KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TLS, KAFKA_TLS_CA_FILE of a super user (admin).
 * Relative imports only: ts-node runs this file without the workspace's path aliases.
 */
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_PRINCIPAL_NAMES, KAFKA_PRINCIPALS, kafkaAcls, topicSettings } from '../libs/contracts/src';
import { applyAcls } from '../libs/kafka-client/src/kafka-acls';
import { kafkaClientOptions, kafkaConnectionFromEnv } from '../libs/kafka-client/src/kafka-connection';
import { createTopics } from '../libs/kafka-client/src/kafka-topics';

function printPrincipals(): void {
  for (const name of KAFKA_PRINCIPAL_NAMES) console.log(`${name} ${KAFKA_PRINCIPALS[name].role}`);
}

function printAcls(): void {
  for (const acl of kafkaAcls()) {
    const pattern = acl.patternType === 'prefixed' ? `${acl.resourceName}*` : acl.resourceName;
    console.log(`User:${acl.principal}\t${acl.permission}\t${acl.operation}\t${acl.resourceType}\t${pattern}`);
  }
}

async function apply(): Promise<void> {
  const connection = kafkaConnectionFromEnv();
  const admin = new Kafka({ ...kafkaClientOptions(connection), clientId: 'slidecharge-setup', logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const created = await createTopics(admin, topicSettings());
    const managed = KAFKA_PRINCIPAL_NAMES.filter((p) => KAFKA_PRINCIPALS[p].role !== 'super');
    const acls = await applyAcls(admin, kafkaAcls(), managed);
    console.log(
      `kafka-setup: topics ${created.length ? `created ${created.join(', ')}` : 'all present'}; ` +
        `ACLs of ${managed.length} principals: ${acls.created} added, ${acls.removed} removed`,
    );
  } finally {
    await admin.disconnect();
  }
}

const command = process.argv[2];
if (command === 'principals') printPrincipals();
else if (command === 'acls') printAcls();
else if (command === 'apply') {
  apply().catch((e: unknown) => {
    console.error(`kafka-setup: ${(e as Error).message}`);
    process.exit(1);
  });
} else {
  console.error('usage: kafka-setup.ts principals | acls | apply');
  process.exit(2);
}
