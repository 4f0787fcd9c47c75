import { expect, it } from 'vitest';
import { DEMO_UNET_FLAGS, demoUnetArrays } from '../../src/models/demo/index';
import { DEFAULT_FLAGS, resolveConfig } from '../../src/models/unet/index';
import { previewSample } from '../../src/training/index';
import { wasmRuntime } from '../helpers/ort';

it('samples the model as training leaves it: image_size² RGBA, the same for the same parameters and seed, another after a change', async () => {
  const flags = { ...DEFAULT_FLAGS, ...DEMO_UNET_FLAGS };
  const config = resolveConfig(flags);
  const params = new Map([...demoUnetArrays(config)].map(([n, a]) => [n, a.data.slice()]));
  const options = { respacing: 'ddim5', seed: 3 };
  const a = await previewSample(wasmRuntime(), config, flags, params, options);
  expect(a.length).toBe(64 * 64 * 4);
  expect(await previewSample(wasmRuntime(), config, flags, params, options)).toEqual(a);
  params.get('out.2.bias')![0]! += 0.5;
  const b = await previewSample(wasmRuntime(), config, flags, params, options);
  expect(b.some((v, i) => v !== a[i])).toBe(true);
}, 60_000);
