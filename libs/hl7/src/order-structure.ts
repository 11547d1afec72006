import { readValue } from './encoding';
import type { OrderMapping } from './order-mapping';
import type { OrderSegments, SegRef } from './order-reading';

/**
 * Who governs whom in an order, from one walk over the segments in order: the ORC of each OBR (the
 * nearest before it), the TQ1 of each ORC group (its first, v2.5+ timing/quantity), the OBR of each
 * SPM, and the specimen of each slide (SAC, or an SPM whose SPM-27 container type is a slide).
 */
export interface OrderStructure {
  orcs: SegRef[];
  obrs: SegRef[];
  /** SPMs that are specimens (not slide or block containers). */
  specimenSpms: SegRef[];
  /** SPMs that are slides (SPM-27 container type), each with the specimen SPM before it. */
  slideSpms: SegRef[];
  /** Specimens come from SPM segments (else one per OBR). */
  fromSpm: boolean;
  orcOf: Map<SegRef, SegRef | undefined>;
  timingOf: Map<SegRef | undefined, SegRef | undefined>;
  obrOf: Map<SegRef, SegRef | undefined>;
  /** Slide segment (SAC or slide SPM) -> the specimen segment (SPM or OBR) it belongs to. */
  ownerOf: Map<SegRef, SegRef | undefined>;
}

type SpmKind = 'specimen' | 'slide' | 'block';

function spmKind(spm: SegRef, m: OrderMapping): SpmKind {
  const type = readValue(spm.seg, 27, 1).toUpperCase();
  if (m.spmSlideContainerTypes.includes(type)) return 'slide';
  if (m.spmBlockContainerTypes.includes(type)) return 'block';
  return 'specimen';
}

interface Walk {
  orc?: SegRef;
  obr?: SegRef;
  specimen?: SegRef;
}

export function readStructure(segments: OrderSegments, m: OrderMapping): OrderStructure {
  const orcs = segments.all('ORC');
  const obrs = segments.all('OBR');
  const kinds = new Map(segments.all('SPM').map((s) => [s, spmKind(s, m)]));
  const specimenSpms = [...kinds].filter(([, k]) => k === 'specimen').map(([s]) => s);
  const s: OrderStructure = {
    orcs,
    obrs,
    specimenSpms,
    slideSpms: [...kinds].filter(([, k]) => k === 'slide').map(([s]) => s),
    fromSpm: specimenSpms.length > 0,
    orcOf: new Map(),
    timingOf: new Map(),
    obrOf: new Map(),
    ownerOf: new Map(),
  };
  const walk: Walk = {};
  for (const { name, ref } of segments.list) visit(s, walk, name, ref, kinds.get(ref), m);
  return s;
}

function visit(s: OrderStructure, walk: Walk, name: string, ref: SegRef, kind: SpmKind | undefined, m: OrderMapping): void {
  if (name === 'ORC') walk.orc = ref;
  else if (name === 'TQ1') {
    if (!s.timingOf.has(walk.orc)) s.timingOf.set(walk.orc, ref);
  } else if (name === 'OBR') {
    walk.obr = ref;
    s.orcOf.set(ref, walk.orc ?? s.orcs[0]);
    walk.specimen = s.fromSpm ? undefined : ref;
  } else if (name === 'SPM' && kind === 'specimen') {
    s.obrOf.set(ref, walk.obr ?? s.obrs[0]);
    walk.specimen = ref;
  } else if ((name === 'SPM' && kind === 'slide') || name === m.slideSegment) s.ownerOf.set(ref, walk.specimen);
}

/** The TQ1 that gives the quantity of an OBR: the first TQ1 of its ORC group. */
export function timingOfObr(s: OrderStructure, obr: SegRef | undefined): SegRef | undefined {
  if (!obr) return s.timingOf.get(s.orcs[0]);
  return s.timingOf.get(s.orcOf.get(obr));
}
