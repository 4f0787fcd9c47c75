import { ShapeError } from '../../errors';
import { roundHalfEven } from '../../sampling/respacing';
import type { Rng } from '../../sampling/rng';

/** A rectangle of the zero-padded image (pad H//4 on all four sides), as MakeCutouts slices it. */
export interface Crop {
  readonly height: number;
  readonly width: number;
  readonly offsetY: number;
  readonly offsetX: number;
}

export type Point = readonly [x: number, y: number];

/** The parameters of MakeCutouts' torchvision augmentations for one cutout (seed-spec §5, §5.1). */
export interface Augmentation {
  readonly flip: boolean;
  /** RandomAffine angle in degrees. */
  readonly angle: number;
  /** RandomAffine integer translation (tx, ty) in pixels. */
  readonly translate: readonly [number, number];
  /** RandomPerspective: the 8 coefficients mapping output pixel centres to input positions (c0…c7), or none. */
  readonly perspective?: readonly number[];
  readonly grayscale: boolean;
}

export interface CutoutParams {
  readonly crop: Crop;
  /** Absent with skip_augs. */
  readonly augment?: Augmentation;
}

/** The geometry MakeCutouts(cut_size, cutn) works in for an input of H × W. */
export interface CutoutGeometry {
  readonly height: number;
  readonly width: number;
  readonly cutSize: number;
  readonly cutn: number;
}

export const padOf = (g: CutoutGeometry): number => Math.floor(g.height / 4);
export const paddedSize = (g: CutoutGeometry): [number, number] => [g.height + 2 * padOf(g), g.width + 2 * padOf(g)];

/** `ch > cutn − cutn//4`: the cutout is the whole padded image (no size or offset draws). */
export const isWholeImage = (ch: number, cutn: number): boolean => ch > cutn - Math.floor(cutn / 4);

/** torch.randint(low, high): an integer in [low, high). */
const randint = (rng: Rng, low: number, high: number): number => low + Math.floor(rng.uniform() * (high - low));

/**
 * The random crop size law in float32 as upstream computes it:
 * int(max_size · N(0.8, 0.3).clip(cut_size/max_size, 1)); when cut_size > max_size torch's clip
 * returns the upper bound 1, so the crop is the whole padded image.
 */
export function cropSize(u: number, maxSize: number, cutSize: number): number {
  const lo = Math.fround(cutSize / maxSize);
  const clipped = Math.min(Math.max(Math.fround(u), lo), 1);
  return Math.trunc(Math.fround(Math.fround(maxSize) * Math.fround(clipped)));
}

function drawCrop(rng: Rng, g: CutoutGeometry, ch: number): Crop {
  const [hp, wp] = paddedSize(g);
  if (isWholeImage(ch, g.cutn)) return { height: hp, width: wp, offsetY: 0, offsetX: 0 };
  const size = cropSize(Math.fround(0.8 + 0.3 * rng.normal()), Math.min(hp, wp), g.cutSize);
  // offsetx is drawn before offsety; the bound is |side − size + 1| (exclusive).
  const offsetX = randint(rng, 0, Math.abs(wp - size + 1));
  const offsetY = randint(rng, 0, Math.abs(hp - size + 1));
  return { height: size, width: size, offsetY, offsetX };
}

/** RandomPerspective.get_params(w, h, 0.4): corners TL, TR, BR, BL, each x then y. */
export function drawPerspectiveEndpoints(rng: Rng, w: number, h: number, distortion = 0.4): Point[] {
  const dx = Math.floor(distortion * Math.floor(w / 2));
  const dy = Math.floor(distortion * Math.floor(h / 2));
  const tl: Point = [randint(rng, 0, dx + 1), randint(rng, 0, dy + 1)];
  const tr: Point = [randint(rng, w - dx - 1, w), randint(rng, 0, dy + 1)];
  const br: Point = [randint(rng, w - dx - 1, w), randint(rng, h - dy - 1, h)];
  const bl: Point = [randint(rng, 0, dx + 1), randint(rng, h - dy - 1, h)];
  return [tl, tr, br, bl];
}

/** The start points RandomPerspective pairs with the drawn end points: the corner pixel indices. */
export const perspectiveStartpoints = (w: number, h: number): Point[] => [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]];

const uniformF32 = (rng: Rng, lo: number, hi: number): number => Math.fround(lo + (hi - lo) * rng.uniform());

function drawAugmentation(rng: Rng, crop: Crop, solve: (start: Point[], end: Point[]) => number[]): Augmentation {
  const { width: w, height: h } = crop;
  const flip = rng.uniform() < 0.5;
  const angle = uniformF32(rng, -15, 15);
  const tx = roundHalfEven(uniformF32(rng, -Math.fround(0.1 * w), Math.fround(0.1 * w)));
  const ty = roundHalfEven(uniformF32(rng, -Math.fround(0.1 * h), Math.fround(0.1 * h)));
  const perspective = rng.uniform() < 0.7 ? solve(perspectiveStartpoints(w, h), drawPerspectiveEndpoints(rng, w, h)) : undefined;
  const grayscale = rng.uniform() < 0.15;
  return { flip, angle, translate: [tx, ty], ...(perspective ? { perspective } : {}), grayscale };
}

/**
 * Draws one call's cutout parameters with our PRNG in upstream's order (seed-spec §5, §13):
 * per cutout [normal, randint x, randint y] (random crops only), then flip, angle, tx, ty,
 * perspective [+ 8 corner ints], grayscale. Torch's own streams are not reproduced.
 */
export function drawCutouts(rng: Rng, g: CutoutGeometry, skipAugs: boolean, solve: (start: Point[], end: Point[]) => number[]): CutoutParams[] {
  if (g.cutn < 1 || g.cutSize < 1) throw new ShapeError(`cutouts: cutn ${g.cutn} and cut size ${g.cutSize} must be positive`);
  return Array.from({ length: g.cutn }, (_, ch) => {
    const crop = drawCrop(rng, g, ch);
    return skipAugs ? { crop } : { crop, augment: drawAugmentation(rng, crop, solve) };
  });
}
