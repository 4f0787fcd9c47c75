import { openCheckpoint, readTensorFloat32, type Tensor as StoredTensor } from '../../checkpoint/index';
import { optimize, opsOffWebGpu, serialize } from '../../graph';
import { buildSwinIRGraph, clampUnit, createSwinIRUpscaler, loadSwinIR, mirrorPad, paddedSize, planarImage, type PlanarImage, type SwinIRModel } from '../../models/swinir/index';
import { hostTensor, type Runtime } from '../../runtime/index';
import { compareArrays, exact, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';
import { fileForConfig } from './unet-weights';

/** The tolerance: fp32 max |error| ≤ 1e-4 · max |reference|, before and after the clamp. */
const FP32_REL = 1e-4;

type References = ReadonlyMap<string, StoredTensor>;

async function read(refs: References, name: string): Promise<Float32Array> {
  const t = refs.get(name);
  if (!t) throw new Error(`reference tensor ${name} is missing`);
  return readTensorFloat32(t);
}

async function inputImage(refs: References, name: string): Promise<PlanarImage> {
  const shape = refs.get(name)?.shape ?? [];
  return planarImage(3, shape[2] ?? 0, shape[3] ?? 0, await read(refs, name));
}

const compare = (group: string, name: string, actual: ArrayLike<number>, reference: ArrayLike<number>, tolerance = FP32_REL): CheckResult => {
  const { maxAbs, maxRel } = compareArrays(actual, reference);
  return { group, name, maxAbs, maxRel, tolerance, on: 'rel', pass: maxRel <= tolerance };
};

/** The seed procedure on one reference input: padding (exact), output before and after the clamp. */
async function checkSize(group: string, prefix: string, model: SwinIRModel, runtime: Runtime, refs: References): Promise<CheckResult[]> {
  const input = await inputImage(refs, `${prefix}.input`);
  const padded = mirrorPad(input, paddedSize(input.height, model.config.windowSize), paddedSize(input.width, model.config.windowSize));
  const upscaler = createSwinIRUpscaler(runtime, model);
  try {
    const output = await upscaler.superResolve(input);
    const clamped = clampUnit(output);
    return [
      compare(group, `${prefix}.padded (mirror padding)`, padded.data, await read(refs, `${prefix}.padded`), 0),
      compare(group, `${prefix}.output (fp32, before clamp)`, output.data, await read(refs, `${prefix}.output`)),
      compare(group, `${prefix}.output_clamped (fp32)`, clamped.data, await read(refs, `${prefix}.output_clamped`)),
    ];
  } finally {
    await upscaler.dispose();
  }
}

const INTERMEDIATES = ['conv_first', 'conv_after_body'] as const;

/** Recorded intermediates, run on the recorded padded input; and every op of the graph on WebGPU. */
async function checkIntermediates(group: string, prefix: string, model: SwinIRModel, runtime: Runtime, refs: References): Promise<CheckResult[]> {
  const present = INTERMEDIATES.filter((name) => refs.has(`${prefix}.${name}`));
  const shape = refs.get(`${prefix}.padded`)?.shape ?? [];
  const [height, width] = [shape[2] ?? 0, shape[3] ?? 0];
  const graph = optimize(buildSwinIRGraph(model.config, model.weights, { height, width, intermediates: true }));
  const off = opsOffWebGpu(graph);
  const results = [exact(group, `${prefix}: graph ops all on WebGPU (${graph.nodes.length} nodes)`, off.length, off.join(', ') || undefined)];
  if (present.length === 0) return results;
  const session = await runtime.createSession(serialize(graph));
  const out = await session.run({ x: hostTensor('float32', [1, 3, height, width], await read(refs, `${prefix}.padded`)) });
  await session.dispose();
  for (const name of present) results.push(compare(group, `${prefix}.${name} (fp32)`, out[name]!.data as Float32Array, await read(refs, `${prefix}.${name}`)));
  return results;
}

async function checkConfig(ctx: GroupContext, name: string, refs: References): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const file = fileForConfig(ctx.manifest.files, name);
  if (!file) return [exact(group, `${name}: checkpoint file`, Infinity, `no file named *_${name}.pth in the manifest`)];
  const model = await ctx.dir.withSource(ctx.path(file), (source) => loadSwinIR(source, { label: file }));
  const runtime = ctx.runtime;
  const prefixes = [...refs.keys()].filter((k) => k.startsWith(`${name}.`) && k.endsWith('.input')).map((k) => k.slice(0, -'.input'.length));
  const results: CheckResult[] = [];
  for (const prefix of prefixes) {
    results.push(...(await checkSize(group, prefix, model, runtime, refs)), ...(await checkIntermediates(group, prefix, model, runtime, refs)));
  }
  return results;
}

/**
 * The SwinIR group: each configuration's checkpoint is loaded with its architecture inferred from
 * the state dict, and the seed's procedure (mirror padding, network, crop, clamp) runs on every
 * recorded input; outputs and recorded intermediates are compared relative to the reference's
 * largest value.
 */
export async function* swinirModel(ctx: GroupContext): AsyncIterable<CheckResult> {
  const configs = Object.keys((ctx.manifest.settings.configs ?? {}) as Record<string, unknown>);
  const reference = ctx.manifest.reference_file;
  for (const name of configs) {
    if (!reference) {
      yield exact(ctx.manifest.group, `${name}: reference tensors`, Infinity, 'the manifest names no reference_file');
      continue;
    }
    yield* await guardMany(ctx.manifest.group, `${name}: model matches references`, () =>
      ctx.dir.withSource(ctx.path(reference), async (source) => checkConfig(ctx, name, (await openCheckpoint(source)).tensors)));
  }
}
