import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

export interface AssignerMember {
  memberId: string;
  /** Topics this member subscribes to. */
  topics: string[];
  /** Topics this member owned in the previous generation (kept when fair: stickiness). */
  owned: string[];
}

/** memberId -> topic -> partitions */
export type WholeTopicAssignment = Record<string, Record<string, number[]>>;

/**
 * Puts every partition of a topic on ONE member, spreading whole topics over
 * the members. A line's admission loop merges its partitions by arrival, which
 * needs all of them in one process; the other members are hot standbys for it.
 *
 * Sticky: a topic stays with its previous owner while that owner subscribes to
 * it and holds no more than its fair share, so a standby joining the group
 * does not move a busy line. The rest go to the least-loaded subscriber (ties:
 * smallest member id), in topic order, so every member computes the same answer.
 */
export function assignWholeTopics(
  members: AssignerMember[],
  partitionsByTopic: Record<string, number[]>,
): WholeTopicAssignment {
  const sortedMembers = [...members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
  const topics = Object.keys(partitionsByTopic).sort();
  const result: WholeTopicAssignment = {};
  const load = new Map<string, number>();
  for (const m of sortedMembers) {
    result[m.memberId] = {};
    load.set(m.memberId, 0);
  }
  const subscribers = (topic: string) => sortedMembers.filter((m) => m.topics.includes(topic));
  const fairShare =
    sortedMembers.length === 0 ? 0 : Math.ceil(topics.length / sortedMembers.length);
  const give = (memberId: string, topic: string) => {
    result[memberId][topic] = [...partitionsByTopic[topic]].sort((a, b) => a - b);
    load.set(memberId, (load.get(memberId) ?? 0) + 1);
  };

  const unassigned: string[] = [];
  for (const topic of topics) {
    const previous = subscribers(topic).find((m) => m.owned.includes(topic));
    if (previous && (load.get(previous.memberId) ?? 0) < fairShare) give(previous.memberId, topic);
    else unassigned.push(topic);
  }
  for (const topic of unassigned) {
    const candidates = subscribers(topic);
    if (candidates.length === 0) continue;
    let best = candidates[0];
    for (const c of candidates)
      if ((load.get(c.memberId) ?? 0) < (load.get(best.memberId) ?? 0)) best = c;
    give(best.memberId, topic);
  }
  return result;
}

/**
 * The kafkajs adapter of {@link assignWholeTopics}. `owned()` reports the topics
 * this process currently admits; it travels in the member metadata's userData.
 */
export const wholeTopicAssigner =
  (owned: () => string[]): PartitionAssigner =>
  ({ cluster }) => ({
    name: 'WholeTopicAssigner',
    version: 1,
    async assign({ members, topics }) {
      const decoded: AssignerMember[] = members.map(({ memberId, memberMetadata }) => {
        const meta = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        return { memberId, topics: meta?.topics ?? [], owned: parseOwned(meta?.userData) };
      });
      const partitionsByTopic: Record<string, number[]> = {};
      for (const topic of topics) {
        partitionsByTopic[topic] = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId);
      }
      const assignment = assignWholeTopics(decoded, partitionsByTopic);
      return decoded.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: assignment[memberId] ?? {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'WholeTopicAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.from(JSON.stringify(owned())),
        }),
      };
    },
  });

function parseOwned(userData: Buffer | undefined): string[] {
  if (!userData || userData.length === 0) return [];
  try {
    const parsed: unknown = JSON.parse(userData.toString('utf8'));
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
