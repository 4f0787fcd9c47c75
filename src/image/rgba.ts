/**
 * Planar CHW floats in [-1, 1] (what the networks produce) to interleaved RGBA bytes, rounding as
 * torchvision's to_pil_image does after (x + 1) / 2: clamp, scale by 255, round half up.
 */
export function chwToRgba(chw: Float32Array, height: number, width: number): Uint8ClampedArray {
  const plane = height * width;
  if (chw.length < 3 * plane) throw new RangeError(`expected ${3 * plane} values for a 3×${height}×${width} image, got ${chw.length}`);
  const rgba = new Uint8ClampedArray(4 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.floor(((chw[c * plane + p]! + 1) / 2) * 255 + 0.5);
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}
