import { openCheckpoint } from '../../checkpoint/index';
import { EngineError } from '../../errors';
import { optimize, serializeWithExternalData, type Graph } from '../../graph';
import type { ConvertedFile, ConvertRequest, ConvertedModel } from '../convert';
import type { WeightSource } from '../weights';
import { resolveConfig, type UnetConfig } from './config';
import { describeGraph, type GraphDoc } from './describe';
import { flagsFromArgs, type PyValue } from './flags';
import { buildGuidedUnetGraph, buildUnetGraph, type UnetGraphOptions } from './graphs';
import { loadUnetWeights } from './load';
import { unetPreset } from './presets';
import { parseModelConfigYaml } from './yaml';

export const UNET_CONVERT_USAGE =
  'convert unet --checkpoint F (--model_config Y.yaml | --preset NAME | --<flag> V ...) --out DIR [--fp16 | --fp32] [--batch N] [--height H --width W]';

/** Constants past this many bytes go to external data files (one ONNX protobuf must stay under 2 GiB). */
const INLINE_LIMIT = 1.5 * 2 ** 30;

interface UnetConvertOptions {
  readonly flags: Record<string, PyValue>;
  readonly graph: UnetGraphOptions;
}

function positiveInt(key: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 1) throw new EngineError(`--${key}: expected a positive integer, got ${v ?? 'nothing'}`);
  return n;
}

/** Flags merge in order: preset, then the yaml's model_config, then explicit flags (later wins). */
async function parseOptions(args: readonly string[], readText: ConvertRequest['readText']): Promise<UnetConvertOptions> {
  const { flags: explicit, rest } = flagsFromArgs(args);
  const own: Record<string, string | undefined> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i]!.replace(/^--/, '');
    if (!['model_config', 'preset', 'batch', 'height', 'width'].includes(key)) throw new EngineError(`convert unet: unknown option ${rest[i]} (usage: ${UNET_CONVERT_USAGE})`);
    own[key] = rest[i + 1];
  }
  const preset = own.preset === undefined ? {} : unetPreset(own.preset).flags;
  const yaml = own.model_config === undefined ? {} : parseModelConfigYaml(await readText(own.model_config));
  if (own.preset === undefined && own.model_config === undefined && Object.keys(explicit).length === 0) {
    throw new EngineError(`convert unet: give the model configuration (usage: ${UNET_CONVERT_USAGE})`);
  }
  const graph = {
    ...(own.batch === undefined ? {} : { batch: positiveInt('batch', own.batch) }),
    ...(own.height === undefined ? {} : { height: positiveInt('height', own.height) }),
    ...(own.width === undefined ? {} : { width: positiveInt('width', own.width) }),
  };
  return { flags: { ...preset, ...yaml, ...explicit }, graph };
}

function exportGraph(graph: Graph, path: string, fp16: boolean): { files: ConvertedFile[]; external: string[] } {
  const optimized = optimize(graph);
  const bytes = optimized.initializers.reduce((n, i) => n + i.data.byteLength / (fp16 && i.dtype === 'float32' ? 2 : 1), 0);
  const external = bytes > INLINE_LIMIT ? { prefix: `${path}.data` } : undefined;
  const { model, files } = serializeWithExternalData(optimized, { weights: fp16 ? 'float16' : 'float32', ...(external ? { external } : {}) });
  return { files: [{ path, data: model }, ...files], external: files.map((f) => f.path) };
}

/** Builds, optimises and serialises both graph forms and documents them. */
function exportForms(config: UnetConfig, weights: WeightSource, options: UnetGraphOptions, fp16: boolean): { files: ConvertedFile[]; docs: GraphDoc[] } {
  const forms = [
    { path: 'unet.onnx', form: 'forward' as const, build: buildUnetGraph },
    { path: 'unet_guided.onnx', form: 'guided' as const, build: buildGuidedUnetGraph },
  ];
  const files: ConvertedFile[] = [];
  const docs = forms.map(({ path, form, build }) => {
    const graph = build(config, weights, options);
    const exported = exportGraph(graph, path, fp16);
    files.push(...exported.files);
    return describeGraph(graph, config, { path, form, bytes: exported.files[0]!.data.byteLength, external: exported.external });
  });
  return { files, docs };
}

/**
 * `convert unet`: resolves the configuration (preset, clip-diffusion-art yaml and/or flags), checks
 * the checkpoint against it, and writes `unet.onnx` (x, t[, y] → out) and `unet_guided.onnx` (the
 * guidance form) with model.json. Weight storage follows --fp16/--fp32, else the config's use_fp16.
 */
export async function convertUnet(request: ConvertRequest): Promise<ConvertedModel> {
  const options = await parseOptions(request.args, request.readText);
  const config = resolveConfig(options.flags);
  const weights = await loadUnetWeights(await openCheckpoint(request.source), config, request.sourceName);
  const fp16 = request.fp16 ?? config.useFp16;
  const { files, docs } = exportForms(config, weights, options.graph, fp16);
  const manifest = {
    kind: 'unet',
    source: { file: request.sourceName, bytes: request.source.size, sha256: request.sourceSha256 },
    weights: fp16 ? 'float16' : 'float32',
    flags: options.flags,
    config,
    graphs: docs,
  };
  return { files, manifest };
}
