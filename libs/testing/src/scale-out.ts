import { isDeepStrictEqual } from 'node:util';
import { AssignerProtocol } from 'kafkajs';
import { harnessKafkaConnection, testKafka } from './kafka';
import { eventually } from './topic-reader';

/** One member of a consumer group as the broker describes it: its client and the partitions it owns, by topic. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  partitions: Record<string, number[]>;
}

export interface GroupAssignment {
  state: string;
  members: GroupMember[];
}

const adminOn = (brokers: string) => testKafka('test-setup', { ...harnessKafkaConnection(), brokers: brokers.split(',') }).admin();

/** The group's state and each member's assignment, read with the admin API (describeGroups). */
export async function groupAssignment(brokers: string, groupId: string): Promise<GroupAssignment> {
  const admin = adminOn(brokers);
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group) return { state: 'Dead', members: [] };
    const members = group.members.map((m): GroupMember => {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, partitions: decoded?.assignment ?? {} };
    });
    return { state: group.state, members };
  } finally {
    await admin.disconnect();
  }
}

/**
 * A barrier: waits until the group is Stable with exactly `members` members, each owning at least one
 * partition of `topics`, and every partition of `topics` owned by exactly one of them. Returns the
 * assignment. With `members` 2, this is "both instances have joined and share the work".
 */
export async function waitForGroupShared(brokers: string, groupId: string, topics: readonly string[], members: number, timeoutMs = 60_000): Promise<GroupAssignment> {
  const admin = adminOn(brokers);
  await admin.connect();
  const all: string[] = [];
  try {
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) all.push(`${topic}/${p.partition}`);
  } finally {
    await admin.disconnect();
  }
  let last = '';
  return eventually(
    async () => {
      const assignment = await groupAssignment(brokers, groupId);
      last = JSON.stringify(assignment);
      if (assignment.state !== 'Stable' || assignment.members.length !== members) return undefined;
      const owned = assignment.members.map((m) => Object.entries(m.partitions).flatMap(([topic, ps]) => ps.map((p) => `${topic}/${p}`)).filter((tp) => all.includes(tp)));
      if (owned.some((o) => o.length === 0)) return undefined;
      const flat = owned.flat();
      return flat.length === all.length && new Set(flat).size === all.length ? assignment : undefined;
    },
    timeoutMs,
    `consumer group ${groupId} to be shared by ${members} members over ${topics.join(', ')} (last seen: ${last})`,
  );
}

/**
 * What one service instance's /metrics says it consumed for a consumer group: the sum of
 * slidecharge_messages_consumed_total over the group's topics (messages handled successfully by this
 * process, redelivered repeats included). The counter lives in the process, so each instance has its own.
 */
export async function consumedByInstance(baseUrl: string, groupId: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`${baseUrl}/metrics answered ${res.status}`);
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('slidecharge_messages_consumed_total{')) continue;
    if (!line.includes(`group="${groupId}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** consumedByInstance of each instance, in the order given. */
export function consumedByEach(baseUrls: readonly string[], groupId: string): Promise<number[]> {
  return Promise.all(baseUrls.map((url) => consumedByInstance(url, groupId)));
}

/**
 * The first copy of each event id among events read from a topic. A later copy (the outbox relay
 * publishes at least once) must be the same event, field for field: otherwise this throws.
 */
export function firstCopyOfEach<T extends { eventId: string }>(events: readonly T[]): Map<string, T> {
  const first = new Map<string, T>();
  for (const event of events) {
    const seen = first.get(event.eventId);
    if (!seen) first.set(event.eventId, event);
    else if (!isDeepStrictEqual(seen, event)) throw new Error(`event ${event.eventId} was published twice with different contents`);
  }
  return first;
}
