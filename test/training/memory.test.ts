import { expect, it } from 'vitest';
import { add, Graph, relu } from '../../src/graph';
import { DEMO_UNET_FLAGS } from '../../src/models/demo/index';
import { DEFAULT_FLAGS, resolveConfig } from '../../src/models/unet/index';
import { livePeak, trainingMemory } from '../../src/training/index';

it('counts the bytes alive at once as the nodes run in order: feeds throughout, each value until its last use, outputs to the end', () => {
  const g = new Graph('live');
  const x = g.input('x', 'float32', [1000]);
  const y = relu(x);
  const z = add(y, y);
  const w = relu(z);
  g.output(w, 'w');
  // x (4000) + y (4000) + z (4000) while Add runs; y is freed after it, so Relu's w adds to x + z only.
  expect(livePeak(g)).toEqual({ peak: 12000, largest: 4000 });
});

it("sizes a fine-tuning run of the demo UNet: the host's arrays from the parameter count, the runtime's peak growing with the microbatch", () => {
  const config = resolveConfig({ ...DEFAULT_FLAGS, ...DEMO_UNET_FLAGS });
  const [one, two] = [1, 2].map((mb) => trainingMemory(config, mb, 2, 1000));
  expect(one!.parameters).toBe(1114822);
  // Parameters, summed gradients, AdamW's two moments and two EMAs, float32.
  expect(one!.host).toBe(1114822 * 4 * 6);
  // The parameters fed in and their gradients out stay; activations double with the microbatch.
  expect(one!.runtimePeak).toBeGreaterThan(2 * 4 * 1114822);
  expect(two!.runtimePeak - 2 * 4 * 1114822).toBeGreaterThan(1.8 * (one!.runtimePeak - 2 * 4 * 1114822));
});
