import { expect, it } from 'vitest';
import { openCheckpoint, readTensor, readTensorFloat32 } from '../../../src/checkpoint/index';
import { withFileSource } from '../../../src/cli/file-source';
import { relativePositionIndex, shiftMask, windowGrid } from '../../../src/models/swinir';
import { invertPermutation, shiftPermutation } from '../../../src/models/swinir/geometry';
import { describeWithFixtures, fixturePath } from '../../fixtures';

/** calculate_mask as upstream writes it: label the three bands of slices, partition, compare labels. */
function upstreamMask(h: number, w: number, ws: number, shift: number): Float32Array {
  const img = new Float32Array(h * w);
  const bands = (n: number) => [[0, n - ws], [n - ws, n - shift], [n - shift, n]];
  let count = 0;
  for (const [r0, r1] of bands(h)) for (const [c0, c1] of bands(w)) {
    for (let r = r0!; r < r1!; r++) for (let c = c0!; c < c1!; c++) img[r * w + c] = count;
    count++;
  }
  const windows: number[][] = [];
  for (let wr = 0; wr < h / ws; wr++) for (let wc = 0; wc < w / ws; wc++) {
    windows.push(Array.from({ length: ws * ws }, (_, t) => img[(wr * ws + Math.floor(t / ws)) * w + wc * ws + (t % ws)]!));
  }
  return Float32Array.from(windows.flatMap((m) => m.flatMap((a) => m.map((b) => (b - a !== 0 ? -100 : 0)))));
}

/** torch.roll(x, (−shift, −shift)) then window_partition, read as source pixels in window order. */
function rolledWindowPixels(h: number, w: number, ws: number, shift: number): number[] {
  const out: number[] = [];
  for (let wr = 0; wr < h / ws; wr++) for (let wc = 0; wc < w / ws; wc++) for (let t = 0; t < ws * ws; t++) {
    const [r, c] = [wr * ws + Math.floor(t / ws), wc * ws + (t % ws)];
    out.push(((r + shift) % h) * w + ((c + shift) % w));
  }
  return out;
}

/** Elementwise equality without vitest's deep-equality cost on arrays of 10⁵ elements. */
const mismatches = (a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number =>
  a.length !== b.length ? Infinity : Array.prototype.filter.call(a, (v: number | bigint, i: number) => v !== b[i]).length;

it('the shift mask equals calculate_mask at sizes other than the training size', () => {
  for (const [h, w] of [[8, 8], [16, 40], [48, 64], [40, 24]] as const) {
    expect(mismatches(shiftMask(windowGrid(h, w, 8), 4), upstreamMask(h, w, 8, 4)), `${h}×${w}`).toBe(0);
  }
});

it('the shift permutation is roll + window_partition, and its inverse undoes it', () => {
  const [h, w, ws] = [24, 40, 8];
  const windowOrder = rolledWindowPixels(h, w, ws, 0);
  const perm = shiftPermutation(windowGrid(h, w, ws), 4);
  // perm maps shifted token → window-order position; window order maps position → pixel.
  expect(Array.from(perm, (p) => windowOrder[Number(p)])).toEqual(rolledWindowPixels(h, w, ws, 4));
  const inverse = invertPermutation(perm);
  expect(Array.from(perm, (p) => Number(inverse[Number(p)]))).toEqual(windowOrder.map((_, i) => i));
});

it('refuses a tile that is not a multiple of the window', () => {
  expect(() => windowGrid(36, 40, 8)).toThrow(/36×40 is not a positive multiple of the window size 8/);
});

describeWithFixtures('SwinIR buffers in the checkpoints', () => {
  it.each(['M', 'L'])('%s: relative_position_index and attn_mask (64×64) equal ours', async (config) => {
    await withFileSource(fixturePath('swinir', `swinir_${config}.pth`), async (source) => {
      const ck = await openCheckpoint(source);
      let masks = 0;
      for (const [name, t] of ck.tensors) {
        if (name.endsWith('relative_position_index')) expect(mismatches(await readTensor(t as typeof t & { dtype: 'I64' }), relativePositionIndex(8)), name).toBe(0);
        if (name.endsWith('attn_mask')) {
          expect(t.shape).toEqual([64, 64, 64]);
          expect(mismatches(await readTensorFloat32(t), shiftMask(windowGrid(64, 64, 8), 4)), name).toBe(0);
          masks++;
        }
      }
      expect(masks).toBe(config === 'M' ? 2 : 3);
    });
  });
});
