/**
 * 8-bit RGBA pixels ↔ planar CHW RGB floats in [0, 1], the range SwinIR works in. Alpha is dropped
 * on the way in (the seed's images are RGB) and set opaque on the way out.
 */
export function rgbaToUnitChw(rgba: Uint8Array | Uint8ClampedArray, height: number, width: number): Float32Array {
  const plane = height * width;
  if (rgba.length < 4 * plane) throw new RangeError(`expected ${4 * plane} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  const chw = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) chw[c * plane + p] = rgba[4 * p + c]! / 255;
  return chw;
}

/**
 * torchvision's to_pil_image on a float image in [0, 1]: byte(x·255), which TRUNCATES (seed spec
 * §9 and §10.3 step 4: the SR result is saved this way). The product is rounded to float32 as
 * torch's mul is, so k/255 comes back as k. Values are clamped first, as the seed's predict() did.
 */
export function unitChwToRgba(chw: Float32Array, height: number, width: number): Uint8ClampedArray {
  const plane = height * width;
  if (chw.length < 3 * plane) throw new RangeError(`expected ${3 * plane} values for a 3×${height}×${width} image, got ${chw.length}`);
  const rgba = new Uint8ClampedArray(4 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.floor(Math.fround(Math.min(Math.max(chw[c * plane + p]!, 0), 1) * 255));
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}
