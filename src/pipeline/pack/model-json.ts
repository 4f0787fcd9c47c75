import { PackError } from '../../errors';
import type { ClipArchitecture } from '../../models/clip/index';
import type { GuidanceGraphOptions } from '../../models/guidance/index';
import type { SwinIRConfig } from '../../models/swinir/index';
import type { UnetConfig } from '../../models/unet/index';

/**
 * model.json as `npm run cli -- convert unet|clip|swinir` writes it (src/models/{unet,clip,swinir}/convert.ts),
 * read back with the checks that make a wrong or corrupt file fail here, with its name, rather
 * than deep inside onnxruntime. Only what the pipeline relies on is checked.
 */
export interface GraphEntry {
  readonly path: string;
  readonly external: readonly string[];
  readonly inputs: ReadonlyMap<string, readonly Dim[]>;
  readonly outputs: ReadonlyMap<string, readonly Dim[]>;
}

export interface UnetJson {
  readonly kind: 'unet';
  readonly config: UnetConfig;
  readonly forward: GraphEntry;
  readonly guided: GraphEntry;
}

export interface ClipJson {
  readonly kind: 'clip';
  readonly architecture: ClipArchitecture;
  readonly guidance: GuidanceGraphOptions;
  readonly text: GraphEntry;
  readonly image?: GraphEntry;
  /** The cutouts clip_image.onnx encodes a run (1 without it). */
  readonly encoderBatch: number;
  readonly guidanceGraph: GraphEntry;
}

export interface SwinIRJson {
  readonly kind: 'swinir';
  readonly config: SwinIRConfig;
  readonly tile: number;
  readonly graph: GraphEntry;
}

export type ModelJson = UnetJson | ClipJson | SwinIRJson;
export type ModelJsonKind = ModelJson['kind'];

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A size, or the name of a dim each run chooses. */
type Dim = number | string;
const isDim = (v: unknown): v is Dim => (Number.isSafeInteger(v) && (v as number) >= 0) || (typeof v === 'string' && v.length > 0);
const isPositive = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

function parseJson(bytes: Uint8Array, label: string): Raw {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PackError(`${label}: model.json is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) throw new PackError(`${label}: model.json must be a JSON object`);
  return raw;
}

function values(raw: unknown, where: string): ReadonlyMap<string, readonly Dim[]> {
  if (!Array.isArray(raw)) throw new PackError(`${where} must be a list`);
  return new Map(raw.map((v: unknown, i) => {
    if (!isObject(v) || typeof v.name !== 'string' || !Array.isArray(v.shape) || !v.shape.every(isDim)) throw new PackError(`${where}[${i}] needs a name and a shape of whole numbers`);
    return [v.name, v.shape as Dim[]];
  }));
}

/** The graph model.json lists under `path` (the file name cli convert gives it). */
function graphAt(raw: Raw, path: string, label: string, required: boolean): GraphEntry | undefined {
  if (!Array.isArray(raw.graphs)) throw new PackError(`${label}: model.json has no 'graphs' list`);
  const doc = (raw.graphs as unknown[]).find((g) => isObject(g) && g.path === path);
  if (!isObject(doc)) {
    if (required) throw new PackError(`${label}: model.json lists no graph '${path}'`);
    return undefined;
  }
  const external = doc.external ?? [];
  if (!Array.isArray(external) || !external.every((e) => typeof e === 'string')) throw new PackError(`${label}: '${path}' external must be a list of file names`);
  const where = `${label}: '${path}'`;
  return { path, external: external as string[], inputs: values(doc.inputs, `${where} inputs`), outputs: values(doc.outputs, `${where} outputs`) };
}

const show = (shape: readonly Dim[] | undefined): string => (shape ? `[${shape.join(', ')}]` : 'absent');

/** Checks one input or output's shape against what the pipeline feeds or reads. */
export function expectShape(graph: GraphEntry, name: string, expected: readonly number[], label: string, hint: string): void {
  const shape = graph.inputs.get(name) ?? graph.outputs.get(name);
  if (!shape || shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new PackError(`${label}: '${graph.path}' ${name} is ${show(shape)}, expected [${expected.join(', ')}] (${hint})`);
  }
}

function parseUnet(raw: Raw, label: string): UnetJson {
  const config = raw.config as UnetConfig | undefined;
  if (!isObject(config) || !isPositive(config.imageSize) || !isPositive(config.inChannels)) throw new PackError(`${label}: model.json has no UNet config with imageSize and inChannels`);
  const [forward, guided] = [graphAt(raw, 'unet.onnx', label, true)!, graphAt(raw, 'unet_guided.onnx', label, true)!];
  const size = config.imageSize;
  for (const graph of [forward, guided]) {
    if (graph.inputs.has('y')) throw new PackError(`${label}: '${graph.path}' is class-conditional (input y); the studio samples unconditional models`);
    expectShape(graph, 'x', [1, config.inChannels, size, size], label, `batch 1 at the UNet's image_size ${size}: convert without --batch, --height, --width`);
  }
  expectShape(guided, 'grad_x', [1, config.inChannels, size, size], label, 'the guided form');
  return { kind: 'unet', config, forward, guided };
}

function parseGuidanceOptions(raw: unknown, label: string): GuidanceGraphOptions {
  const g = raw as Partial<GuidanceGraphOptions> | undefined;
  const ok = isObject(g) && isObject(g.image) && isPositive(g.image.height) && isPositive(g.image.width) && isPositive(g.cutn) && isPositive(g.targets)
    && (g.lossFn === 'spherical' || g.lossFn === 'cos_spherical') && typeof g.augment === 'boolean';
  if (!ok) throw new PackError(`${label}: model.json 'guidance' needs image {height, width}, cutn, targets, lossFn and augment`);
  return g as GuidanceGraphOptions;
}

function parseClip(raw: Raw, label: string): ClipJson {
  const a = raw.architecture as ClipArchitecture | undefined;
  if (!isObject(a) || !isPositive(a.imageResolution) || !isPositive(a.embedDim) || !isPositive(a.contextLength)) throw new PackError(`${label}: model.json has no CLIP architecture with imageResolution, embedDim and contextLength`);
  const guidance = parseGuidanceOptions(raw.guidance, label);
  const [text, image, guidanceGraph] = [graphAt(raw, 'clip_text.onnx', label, true)!, graphAt(raw, 'clip_image.onnx', label, false), graphAt(raw, 'clip_guidance.onnx', label, true)!];
  const { height, width } = guidance.image;
  expectShape(text, 'tokens', [1, a.contextLength], label, 'one prompt per run');
  expectShape(guidanceGraph, 'x_in', [1, 3, height, width], label, "model.json's guidance.image");
  expectShape(guidanceGraph, 'target_embeds', [guidance.targets, a.embedDim], label, "model.json's guidance.targets and CLIP's embedding width");
  const rows = guidanceGraph.inputs.get('cut_rows');
  if (rows?.[0] !== guidance.cutn || rows[2] !== a.imageResolution) {
    throw new PackError(`${label}: '${guidanceGraph.path}' cut_rows is ${show(rows)}: not ${guidance.cutn} cutouts at CLIP's resolution ${a.imageResolution}`);
  }
  if (guidance.augment && !guidanceGraph.inputs.has('cut_tap_source')) {
    throw new PackError(`${label}: '${guidanceGraph.path}' has no cut_tap_source input: an earlier cli convert made it, with another cutout layout; convert clip again`);
  }
  const batch = image?.inputs.get('image')?.[0];
  const encoderBatch = isPositive(batch) ? batch : 1;
  if (image) expectShape(image, 'image', [encoderBatch, 3, a.imageResolution, a.imageResolution], label, "CLIP's resolution");
  return { kind: 'clip', architecture: a, guidance, text, guidanceGraph, encoderBatch, ...(image && { image }) };
}

function parseSwinIR(raw: Raw, label: string): SwinIRJson {
  const config = raw.config as SwinIRConfig | undefined;
  if (!isObject(config) || !isPositive(config.windowSize) || config.upscale !== 4) throw new PackError(`${label}: model.json has no SwinIR config with windowSize and upscale 4`);
  const graph = graphAt(raw, 'swinir.onnx', label, true)!;
  const tile = graph.inputs.get('x')?.[2] ?? 0;
  if (!isPositive(tile) || tile % config.windowSize !== 0) throw new PackError(`${label}: 'swinir.onnx' x is ${show(graph.inputs.get('x'))}: the tile must be a multiple of the window ${config.windowSize}`);
  expectShape(graph, 'x', [1, 3, tile, tile], label, 'one square tile');
  expectShape(graph, 'y', [1, 3, 4 * tile, 4 * tile], label, '×4 of the tile');
  return { kind: 'swinir', config, tile, graph };
}

const PARSERS = { unet: parseUnet, clip: parseClip, swinir: parseSwinIR } as const;

/**
 * Reads a model.json and checks it is of the kind expected (`unet` for a diffusion model) and
 * internally consistent: the graphs the pipeline runs are listed with the shapes it feeds.
 */
export function parseModelJson<K extends ModelJsonKind>(bytes: Uint8Array, expected: K, label: string): Extract<ModelJson, { kind: K }> {
  const raw = parseJson(bytes, label);
  if (raw.kind !== expected) throw new PackError(`${label}: model.json is of kind ${JSON.stringify(raw.kind)}, expected '${expected}' (the model.json cli convert ${expected} writes)`);
  return PARSERS[expected](raw, label) as Extract<ModelJson, { kind: K }>;
}

/** The ONNX files (and external data) a model.json's graphs live in: the files its manifest entry must list. */
export function graphFiles(json: ModelJson): string[] {
  const graphs = json.kind === 'unet' ? [json.forward, json.guided] : json.kind === 'clip' ? [json.text, json.guidanceGraph, ...(json.image ? [json.image] : [])] : [json.graph];
  return graphs.flatMap((g) => [g.path, ...g.external]);
}
