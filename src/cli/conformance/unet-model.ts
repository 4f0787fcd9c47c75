import { openCheckpoint, readTensor, readTensorFloat32, type ByteSource, type Tensor as StoredTensor } from '../../checkpoint/index';
import { optimize, serialize } from '../../graph';
import { buildUnetGraph, loadUnetWeights, parseModelConfigYaml, resolveConfig, type UnetConfig, type UnetFlags } from '../../models/unet/index';
import type { ArrayWeights } from '../../models/weights';
import { hostTensor, type HostTensor, type Runtime, type Session } from '../../runtime';
import { compareArrays, exact, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';
import { fileForConfig } from './unet-weights';

/** The tolerances: fp32 max |error| ≤ 1e-4 · max |reference|; fp16 weight storage 1e-2 relative. */
const FP32_REL = 1e-4;
const FP16_REL = 1e-2;

interface ConfigSettings {
  readonly full_create_model_and_diffusion_kwargs?: UnetFlags;
  readonly first_attention_input_block?: number;
}

type References = ReadonlyMap<string, StoredTensor>;

/** The yaml file of config `name` (unet_A.yaml for A), when the manifest lists one. */
const yamlForConfig = (files: Readonly<Record<string, string>>, name: string): string | undefined =>
  Object.keys(files).find((f) => /\.ya?ml$/.test(f) && f.replace(/\.[^.]+$/, '').endsWith(`_${name}`));

/** Index of the first input block that holds an attention block (what the fixtures call h_attn). */
function firstAttentionInputBlock(c: UnetConfig): number {
  let index = 1;
  for (let level = 0; level < c.channelMult.length; level++) {
    if (c.attentionDs.includes(2 ** level)) return index;
    index += c.numResBlocks + 1;
  }
  return -1;
}

/** Fixture intermediate names → the builder's tap names. */
function tapName(fixtureName: string, c: UnetConfig, s: ConfigSettings): string {
  const n = c.channelMult.length * (c.numResBlocks + 1);
  const fixed: Record<string, string> = {
    h_mid: 'middle_block', h_outlast: `output_blocks.${n - 1}`, h_attn: `input_blocks.${s.first_attention_input_block ?? firstAttentionInputBlock(c)}`,
  };
  const m = /^h_(in|out)(\d+)$/.exec(fixtureName);
  return fixed[fixtureName] ?? (m ? `${m[1] === 'in' ? 'input' : 'output'}_blocks.${m[2]}` : fixtureName);
}

async function session(runtime: Runtime, graph: Parameters<typeof optimize>[0], fp16: boolean): Promise<Session> {
  return runtime.createSession(serialize(optimize(graph), { weights: fp16 ? 'float16' : 'float32' }));
}

async function host(refs: References, name: string): Promise<HostTensor> {
  const t = refs.get(name);
  if (!t) throw new Error(`reference tensor ${name} is missing`);
  return t.dtype === 'I64' ? hostTensor('int64', t.shape, (await readTensor(t)) as BigInt64Array) : hostTensor('float32', t.shape, await readTensorFloat32(t));
}

async function feeds(refs: References, name: string, c: UnetConfig, k: number): Promise<Record<string, HostTensor>> {
  const base = { x: await host(refs, `${name}.x`), t: await host(refs, `${name}.case${k}.t`) };
  return c.numClasses === null ? base : { ...base, y: await host(refs, `${name}.case${k}.y`) };
}

function compare(group: string, label: string, actual: HostTensor | undefined, reference: HostTensor, tolerance: number): CheckResult {
  const { maxAbs, maxRel } = compareArrays((actual?.data ?? []) as ArrayLike<number>, reference.data as Float32Array);
  return { group, name: label, maxAbs, maxRel, tolerance, on: 'rel', pass: maxRel <= tolerance };
}

/** The configuration from the yaml, checked against the manifest's create_model_and_diffusion kwargs. */
async function configFor(ctx: GroupContext, name: string, s: ConfigSettings): Promise<{ config: UnetConfig; checks: CheckResult[] }> {
  const yaml = yamlForConfig(ctx.manifest.files, name);
  const fromKwargs = s.full_create_model_and_diffusion_kwargs ? resolveConfig(s.full_create_model_and_diffusion_kwargs) : undefined;
  const config = yaml ? resolveConfig(parseModelConfigYaml(await ctx.dir.readText(ctx.path(yaml)))) : fromKwargs;
  if (!config) throw new Error(`config ${name}: neither a yaml file nor create_model_and_diffusion kwargs in the manifest`);
  if (!yaml || !fromKwargs) return { config, checks: [] };
  const same = JSON.stringify(config) === JSON.stringify(fromKwargs);
  return { config, checks: [exact(ctx.manifest.group, `${name}: ${yaml} resolves as the manifest's kwargs`, same ? 0 : 1, same ? undefined : `${JSON.stringify(config)} vs ${JSON.stringify(fromKwargs)}`)] };
}

/** Every case's output and case 0's intermediates in fp32; case 0's output with fp16 weight storage. */
async function runCases(runtime: Runtime, group: string, name: string, c: UnetConfig, s: ConfigSettings, weights: ArrayWeights, refs: References): Promise<CheckResult[]> {
  const prefix = `${name}.case0.`;
  const tapped = [...refs.keys()].filter((k) => k.startsWith(prefix) && !['t', 'y', 'out'].includes(k.slice(prefix.length)));
  const taps = tapped.map((k) => tapName(k.slice(prefix.length), c, s));
  const x = refs.get(`${name}.x`)!;
  const options = { batch: x.shape[0]!, height: x.shape[2]!, width: x.shape[3]!, taps };
  const results: CheckResult[] = [];
  const fp32 = await session(runtime, buildUnetGraph(c, weights, options), false);
  for (let k = 0; refs.has(`${name}.case${k}.out`); k++) {
    const out = await fp32.run(await feeds(refs, name, c, k));
    results.push(compare(group, `${name}.case${k}.out (fp32)`, out.out, await host(refs, `${name}.case${k}.out`), FP32_REL));
    if (k > 0) continue;
    for (const [i, ref] of tapped.entries()) results.push(compare(group, `${ref} as ${taps[i]} (fp32)`, out[taps[i]!], await host(refs, ref), FP32_REL));
  }
  await fp32.dispose();
  const fp16 = await session(runtime, buildUnetGraph(c, weights, { ...options, taps: [] }), true);
  const out16 = await fp16.run(await feeds(refs, name, c, 0));
  await fp16.dispose();
  results.push(compare(group, `${name}.case0.out (fp16 weights)`, out16.out, await host(refs, `${name}.case0.out`), FP16_REL));
  return results;
}

async function checkConfig(ctx: GroupContext, name: string, s: ConfigSettings, refSource: ByteSource): Promise<CheckResult[]> {
  const { config, checks } = await configFor(ctx, name, s);
  const file = fileForConfig(ctx.manifest.files, name);
  if (!file) return [...checks, exact(ctx.manifest.group, `${name}: checkpoint file`, Infinity, `no file named *_${name}.pt in the manifest`)];
  const weights = await ctx.dir.withSource(ctx.path(file), async (source) => loadUnetWeights(await openCheckpoint(source), config, file));
  const refs = (await openCheckpoint(refSource)).tensors;
  return [...checks, ...(await runCases(ctx.runtime, ctx.manifest.group, name, config, s, weights, refs))];
}

/**
 * The UNet group: each configuration of `settings.configs` is built from its yaml (checked against
 * the manifest's kwargs) and its checkpoint, and run on the reference inputs; outputs of every case
 * and case 0's recorded intermediates are compared relative to the reference's largest value.
 */
export async function* unetModel(ctx: GroupContext): AsyncIterable<CheckResult> {
  const configs = (ctx.manifest.settings.configs ?? {}) as Record<string, ConfigSettings>;
  const reference = ctx.manifest.reference_file;
  for (const [name, s] of Object.entries(configs)) {
    if (!reference) {
      yield exact(ctx.manifest.group, `${name}: reference tensors`, Infinity, 'the manifest names no reference_file');
      continue;
    }
    yield* await guardMany(ctx.manifest.group, `${name}: model matches references`, () => ctx.dir.withSource(ctx.path(reference), (src) => checkConfig(ctx, name, s, src)));
  }
}
