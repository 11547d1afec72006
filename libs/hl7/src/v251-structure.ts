import type { StructureNode } from './v251-dictionary';

/**
 * Segment order against a message structure (segments and groups with min/max occurrences, max 0 =
 * unlimited), as the standard's abstract message syntax defines it. Matches every way the segments
 * can be read (sets of positions), so optional and repeating groups never need look-ahead rules.
 */

export interface StructureProblem {
  /** 0-based index of the first segment that cannot be read, or the segment count when one is missing at the end. */
  index: number;
  message: string;
}

/** undefined when `names` (segment ids in order) follows the structure; else where and why not. */
export function checkSegmentOrder(structureName: string, structure: readonly StructureNode[], names: readonly string[]): StructureProblem | undefined {
  const reach = { furthest: 0 };
  const ends = matchSequence(structure, names, 0, reach);
  if (ends.has(names.length)) return undefined;
  if (reach.furthest < names.length) {
    const name = names[reach.furthest] ?? '';
    return {
      index: reach.furthest,
      message: `segment ${name} (segment ${reach.furthest + 1} of the message) is not allowed there by the ${structureName} structure`,
    };
  }
  const missing = requiredLeaves(structure).filter((n) => !names.includes(n));
  return {
    index: names.length,
    message: `the message ends before the ${structureName} structure is complete${missing.length > 0 ? `: ${missing.join(', ')} required` : ''}`,
  };
}

function matchSequence(nodes: readonly StructureNode[], names: readonly string[], start: number, reach: { furthest: number }): Set<number> {
  let positions = new Set([start]);
  for (const node of nodes) {
    const next = new Set<number>();
    for (const p of positions) for (const end of matchNode(node, names, p, reach)) next.add(end);
    positions = next;
    if (positions.size === 0) break;
  }
  return positions;
}

/** Every end position of `node` occurring min..max times from `start`. */
function matchNode(node: StructureNode, names: readonly string[], start: number, reach: { furthest: number }): Set<number> {
  const max = node.max === 0 ? Number.POSITIVE_INFINITY : node.max;
  const results = new Set<number>(node.min === 0 ? [start] : []);
  let current = new Set([start]);
  for (let count = 1; count <= max && current.size > 0; count++) {
    const next = new Set<number>();
    for (const p of current) for (const end of matchOnce(node, names, p, reach)) if (end > p) next.add(end);
    current = next;
    if (count >= node.min) for (const end of current) results.add(end);
  }
  return results;
}

function matchOnce(node: StructureNode, names: readonly string[], start: number, reach: { furthest: number }): Set<number> {
  if (node.children) return matchSequence(node.children, names, start, reach);
  if (names[start] !== node.name) return new Set();
  reach.furthest = Math.max(reach.furthest, start + 1);
  return new Set([start + 1]);
}

/** Segments the structure requires at its top level (required segments of required groups included). */
function requiredLeaves(nodes: readonly StructureNode[]): string[] {
  return nodes.filter((n) => n.min > 0).flatMap((n) => (n.children ? requiredLeaves(n.children) : [n.name]));
}
