/** Interleaved 8-bit RGBA pixels, as a canvas or a PNG decoder gives them. */
export interface RgbaLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}
