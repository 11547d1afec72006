import { readValue } from './encoding';
import type { OrderMapping } from './order-mapping';
import { err, firstLoc, pick, pickAll, type Findings, type Found, type Loc, type SegRef } from './order-reading';
import type { SpecimenReading } from './order-specimen';
import type { OrderStructure } from './order-structure';

/**
 * Slides, from three places, each slide belonging to one specimen of the order:
 * - the slide segment (SAC by default: SAC-3 barcode, SAC-4 block) after its specimen's SPM or OBR;
 * - an SPM whose SPM-27 container type is a slide (SPM-2 barcode, SPM-3 parent = block), after its
 *   specimen's SPM (IHE PaLM style, every container an SPM);
 * - the mapped field of the specimen's own OBR or SPM (every repetition a barcode), for v2.3 LIS
 *   systems without SAC (none by default).
 */

interface SlideContext {
  r: SpecimenReading;
  f: Findings;
  slides: Record<string, unknown>[];
}

function specimenIdAt(ctx: SlideContext, index: number): string {
  return (ctx.r.specimens[index] as { specimenId: string }).specimenId;
}

function addSlide(ctx: SlideContext, index: number, barcode: Found | undefined, barcodeLoc: Loc, extra: { block?: Found; stain?: Found }, at: Loc): void {
  const i = ctx.slides.length;
  const slide: Record<string, unknown> = { barcode: barcode?.value ?? '', specimenId: specimenIdAt(ctx, index) };
  ctx.f.locs.set(`slides.${i}`, at);
  ctx.f.locs.set(`slides.${i}.barcode`, barcode?.loc ?? barcodeLoc);
  ctx.f.locs.set(`slides.${i}.specimenId`, ctx.f.locs.get(`specimens.${index}.specimenId`) ?? at);
  for (const key of ['block', 'stain'] as const) {
    const found = extra[key];
    if (!found) continue;
    slide[key] = found.value;
    ctx.f.locs.set(`slides.${i}.${key}`, found.loc);
  }
  ctx.slides.push(slide);
}

/** The specimen index of a slide segment's owner; undefined (with an error when it has none) to skip it. */
function ownerIndex(ctx: SlideContext, s: OrderStructure, slide: SegRef, name: string): number | undefined {
  const owner = s.ownerOf.get(slide);
  if (!owner) {
    ctx.f.errors.push(err({ segment: name, sequence: slide.sequence, field: 0 }, '100', `${name} ${slide.sequence} (a slide) must follow the ${s.fromSpm ? 'SPM' : 'OBR'} of its specimen`));
    return undefined;
  }
  return ctx.r.indexOf.get(owner); // undefined: its specimen's order is cancelled
}

function slideSegments(ctx: SlideContext, s: OrderStructure, sacs: SegRef[], m: OrderMapping): void {
  for (const sac of sacs) {
    const index = ownerIndex(ctx, s, sac, m.slideSegment);
    if (index === undefined) continue;
    const segs = { [m.slideSegment]: sac };
    const at = { segment: m.slideSegment, sequence: sac.sequence, field: 0 };
    const block = pick(m.slideBlock, segs);
    const stain = pick(m.slideStain, segs);
    addSlide(ctx, index, pick(m.slideBarcode, segs), firstLoc(m.slideBarcode, segs) ?? at, { ...(block ? { block } : {}), ...(stain ? { stain } : {}) }, at);
  }
}

function spmBarcode(spm: SegRef): Found | undefined {
  const placer = readValue(spm.seg, 2, 1, 1);
  if (placer) return { value: placer, loc: { segment: 'SPM', sequence: spm.sequence, field: 2, component: 1 } };
  const filler = readValue(spm.seg, 2, 2, 1);
  return filler ? { value: filler, loc: { segment: 'SPM', sequence: spm.sequence, field: 2, component: 2 } } : undefined;
}

function slideSpms(ctx: SlideContext, s: OrderStructure): void {
  for (const spm of s.slideSpms) {
    const index = ownerIndex(ctx, s, spm, 'SPM');
    if (index === undefined) continue;
    const parent = readValue(spm.seg, 3, 1, 1) || readValue(spm.seg, 3, 2, 1);
    const isBlock = parent !== '' && parent !== specimenIdAt(ctx, index);
    const block = isBlock ? { block: { value: parent, loc: { segment: 'SPM', sequence: spm.sequence, field: 3 } } } : {};
    const at = { segment: 'SPM', sequence: spm.sequence, field: 0 };
    addSlide(ctx, index, spmBarcode(spm), { ...at, field: 2 }, block, at);
  }
}

function mappedSlideFields(ctx: SlideContext, m: OrderMapping): void {
  if (!m.specimenSlideBarcodes.length) return;
  for (const source of ctx.r.sources) {
    const index = ctx.r.indexOf.get(source.own);
    if (index === undefined) continue;
    for (const barcode of pickAll(m.specimenSlideBarcodes, source.segs)) addSlide(ctx, index, barcode, barcode.loc, {}, barcode.loc);
  }
}

export function readSlides(s: OrderStructure, sacs: SegRef[], r: SpecimenReading, m: OrderMapping, f: Findings): Record<string, unknown>[] {
  const ctx: SlideContext = { r, f, slides: [] };
  slideSegments(ctx, s, sacs, m);
  slideSpms(ctx, s);
  mappedSlideFields(ctx, m);
  return ctx.slides;
}
