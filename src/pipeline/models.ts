import { SettingsError } from '../errors';
import { optimize, serialize, type Graph } from '../graph';
import { buildTextEncoderGraph, type ClipTokenizer, type LoadedClip } from '../models/clip/index';
import { buildGuidanceGraph, buildImagePromptGraph, type LossFn } from '../models/guidance/index';
import { buildLpipsTermGraph, type LpipsModel } from '../models/lpips/index';
import { createSwinIRUpscaler, type SwinIRModel, type SwinIRUpscaler } from '../models/swinir/index';
import { buildGuidedUnetGraph, buildUnetGraph, type UnetConfig } from '../models/unet/index';
import type { WeightSource } from '../models/weights';
import type { Runtime, Session } from '../runtime';
import { sessionSwap } from './session-swap';
import type { GenerationSettings } from './settings';

/** The graphs a generation runs; the options are what the graph is built for, `guide` which CLIP model (ModelSources.clips). */
export type GraphSpec =
  | { readonly kind: 'unet' }
  | { readonly kind: 'unet_guided' }
  | { readonly kind: 'clip_text'; readonly guide: number }
  | { readonly kind: 'guidance'; readonly guide: number; readonly cutn: number; readonly targets: number; readonly lossFn: LossFn; readonly augment: boolean }
  | { readonly kind: 'image_prompt'; readonly guide: number; readonly height: number; readonly width: number; readonly cutn: number; readonly augment: boolean }
  | { readonly kind: 'lpips' };

/** A session as generate() uses it. */
export type RunSession = Pick<Session, 'run'>;

/** The models' architectures and parameters (from checkpoints, or the demo pack's seeded ones). */
export interface ModelSources {
  readonly unet: { readonly config: UnetConfig; readonly weights: WeightSource };
  /** The CLIP models that guide, in order (one for the seed); they share the tokenizer. */
  readonly clips: readonly LoadedClip[];
  readonly tokenizer: ClipTokenizer;
  /** SwinIR real-SR x4, M (`--sr_model_path`) and/or L (`--large_sr`). */
  readonly swinir?: Partial<Record<'M' | 'L', SwinIRModel>>;
  /**
   * LPIPS-VGG for the init image's term, read when the term first runs: a job without an init
   * image, or with init_scale 0, never reads VGG. Without it an init image only sets the start.
   */
  readonly lpips?: () => Promise<LpipsModel>;
}

/** The sources a graph is built from: LPIPS read by then. */
export type BuildSources = Omit<ModelSources, 'lpips'> & { readonly lpips?: LpipsModel | undefined };

/**
 * What generate() needs: sessions for the graphs it asks for, at the UNet's native size. The
 * bundle owns them: whoever created it disposes it; generate() only releases the set-up graphs
 * (text and image-prompt encoders) once the targets are made.
 */
export interface LoadedModels {
  readonly imageSize: number;
  /** Each guide's input resolution (its cutouts' size), one per CLIP model. */
  readonly cutSizes: readonly number[];
  readonly tokenizer: ClipTokenizer;
  /** Largest cutout count per guidance run (wasm heap); a cutn batch runs as sub-batches dividing cutn. */
  readonly maxCutoutsPerRun: number;
  /** Guided jobs run the UNet through its guidance graph only (LoadModelsOptions.oneUnetCopy). */
  readonly oneUnetCopy?: boolean;
  /** The init image's LPIPS term can run (a session { kind: 'lpips' } exists). */
  readonly initLoss?: boolean;
  /** Refuses settings the models cannot run (a pack's fixed-size graphs), before any model runs. */
  readonly checkSettings?: (settings: GenerationSettings) => void;
  session(spec: GraphSpec): Promise<RunSession>;
  release(spec: GraphSpec): Promise<void>;
  readonly upscalers: Partial<Record<'M' | 'L', SwinIRUpscaler>>;
  dispose(): Promise<void>;
}

/** Turns a graph into ONNX bytes; the CLI passes one that caches converted graphs on disk. */
export type GraphBytes = (spec: GraphSpec, build: () => Graph) => Promise<Uint8Array>;

export interface LoadModelsOptions {
  readonly graphBytes?: GraphBytes;
  /** Default 10: ViT-B/16's gradient for 30 cutouts in one graph exceeds the 4 GiB wasm heap. */
  readonly maxCutoutsPerRun?: number;
  /**
   * Hold one session at a time (session-swap.ts), for full-size models on the wasm EP whose graphs
   * do not fit one heap together; the ONNX bytes are kept so a swap only re-creates the session.
   */
  readonly oneSessionAtATime?: boolean;
  /**
   * release() keeps the session until dispose(). For WebGPU: onnxruntime-web 1.30 frees a released
   * session's GPU buffers only once no other session is alive, so re-creating the text encoder each
   * job would grow GPU memory by its weights every job (measured, docs/ARCHITECTURE.md).
   */
  readonly keepReleasedSessions?: boolean;
  /**
   * No forward-only UNet session: the guidance graph also makes the sampler's model call (with a
   * zero cotangent), so the UNet's weights are held once. For WebGPU, where sessions stay resident
   * and the UNet would otherwise be held twice (bench/results/resident.json); it costs one more VJP
   * per step.
   */
  readonly oneUnetCopy?: boolean;
}

export const defaultGraphBytes: GraphBytes = (_spec, build) => Promise.resolve(serialize(optimize(build())));

/** The graph a spec names, built from the sources (no weights copied: constants reference the arrays). */
export function buildGraph(sources: BuildSources, spec: GraphSpec): Graph {
  const { unet } = sources;
  const clipOf = (guide: number): LoadedClip => {
    const clip = sources.clips[guide];
    if (!clip) throw new SettingsError(`guide ${guide} asked for, but ${sources.clips.length} CLIP model${sources.clips.length === 1 ? ' is' : 's are'} loaded`);
    return clip;
  };
  switch (spec.kind) {
    case 'unet':
      return buildUnetGraph(unet.config, unet.weights);
    case 'unet_guided':
      return buildGuidedUnetGraph(unet.config, unet.weights);
    case 'clip_text': {
      const clip = clipOf(spec.guide);
      return buildTextEncoderGraph(clip.weights, clip.architecture);
    }
    case 'guidance':
      return buildGuidanceGraph(clipOf(spec.guide), { image: { height: unet.config.imageSize, width: unet.config.imageSize }, cutn: spec.cutn, targets: spec.targets, lossFn: spec.lossFn, augment: spec.augment });
    case 'image_prompt':
      return buildImagePromptGraph(clipOf(spec.guide), { image: { height: spec.height, width: spec.width }, cutn: spec.cutn, augment: spec.augment });
    case 'lpips':
      if (!sources.lpips) throw new SettingsError('the init loss needs LPIPS-VGG (torchvision\'s VGG16 and LPIPS\'s linear weights), which are not loaded');
      return buildLpipsTermGraph(sources.lpips, { height: unet.config.imageSize, width: unet.config.imageSize });
  }
}

/**
 * The version of the graphs' inputs: bumped when a graph takes other inputs (2: the cutouts' tap
 * list), so a graph cached before is built again rather than fed inputs it does not declare.
 */
const GRAPH_LAYOUT = 2;

/**
 * What a graph is built from besides its model's file: the spec without the guide's place in the
 * list (the file already says which CLIP), so a CLIP's graphs are cached once whichever place it
 * takes, and the layout of the graphs' inputs.
 */
export function graphOptions(spec: GraphSpec): object {
  return { ...Object.fromEntries(Object.entries(spec).filter(([key]) => key !== 'guide')), layout: GRAPH_LAYOUT };
}

export const specKey = (spec: object): string => JSON.stringify(Object.entries(spec).sort(([a], [b]) => (a < b ? -1 : 1)));

function upscalersOf(runtime: Runtime, sources: ModelSources): Partial<Record<'M' | 'L', SwinIRUpscaler>> {
  const upscalers: Partial<Record<'M' | 'L', SwinIRUpscaler>> = {};
  for (const variant of ['M', 'L'] as const) {
    const model = sources.swinir?.[variant];
    if (model) upscalers[variant] = createSwinIRUpscaler(runtime, model);
  }
  return upscalers;
}

/** Sessions by graph key (a GraphSpec, or a pack's own graphs), created from their ONNX bytes on first use. */
export interface SessionPool<S extends object = GraphSpec> {
  session(spec: S): Promise<RunSession>;
  release(spec: S): Promise<void>;
  dispose(): Promise<void>;
}

/** One session per distinct spec, created on first use and kept until released. */
function keptSessions<S extends object>(runtime: Runtime, bytes: (spec: S) => Promise<Uint8Array>, keepReleased: boolean): SessionPool<S> {
  const sessions = new Map<string, Promise<Session>>();
  return {
    session(spec) {
      const key = specKey(spec);
      let held = sessions.get(key);
      if (!held) {
        held = bytes(spec).then((b) => runtime.createSession(b));
        sessions.set(key, held);
        held.catch(() => sessions.delete(key));
      }
      return held;
    },
    async release(spec) {
      if (keepReleased) return;
      const held = sessions.get(specKey(spec));
      sessions.delete(specKey(spec));
      if (held) await (await held).dispose();
    },
    async dispose() {
      const held = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(held.map(async (s) => (await s).dispose()));
    },
  };
}

/** Sessions swapped in and out one at a time, with each spec's bytes kept. */
function swappedSessions<S extends object>(runtime: Runtime, bytes: (spec: S) => Promise<Uint8Array>): SessionPool<S> {
  const swap = sessionSwap(runtime);
  const kept = new Map<string, Promise<Uint8Array>>();
  const bytesOf = (spec: S) => {
    const key = specKey(spec);
    if (!kept.has(key)) kept.set(key, bytes(spec));
    return kept.get(key)!;
  };
  return {
    session: (spec) => Promise.resolve(swap.session(specKey(spec), () => bytesOf(spec))),
    async release(spec) {
      kept.delete(specKey(spec));
      await swap.release(specKey(spec));
    },
    async dispose() {
      kept.clear();
      await swap.dispose();
    },
  };
}

/** How sessions are held, and which: see LoadModelsOptions. */
export type PoolOptions = Pick<LoadModelsOptions, 'oneSessionAtATime' | 'keepReleasedSessions' | 'oneUnetCopy'>;

/** One session per distinct spec (or one at a time, see LoadModelsOptions.oneSessionAtATime). */
export const sessionPool = <S extends object>(runtime: Runtime, bytes: (spec: S) => Promise<Uint8Array>, options: PoolOptions = {}): SessionPool<S> =>
  (options.oneSessionAtATime ? swappedSessions(runtime, bytes) : keptSessions(runtime, bytes, options.keepReleasedSessions ?? false));

/** LoadedModels over a runtime: one session per distinct spec, created on first use (or one at a time, see options). */
export function loadModels(runtime: Runtime, sources: ModelSources, options: LoadModelsOptions = {}): LoadedModels {
  if (sources.clips.length === 0) throw new SettingsError('guidance needs at least one CLIP model');
  const graphBytes = options.graphBytes ?? defaultGraphBytes;
  let lpips: Promise<LpipsModel> | undefined;
  const bytes = async (spec: GraphSpec) => {
    const read = spec.kind === 'lpips' && sources.lpips ? await (lpips ??= sources.lpips()) : undefined;
    return graphBytes(spec, () => buildGraph({ ...sources, lpips: read }, spec));
  };
  const pool = sessionPool(runtime, bytes, options);
  const upscalers = upscalersOf(runtime, sources);
  return {
    imageSize: sources.unet.config.imageSize,
    cutSizes: sources.clips.map((c) => c.architecture.imageResolution),
    tokenizer: sources.tokenizer,
    maxCutoutsPerRun: options.maxCutoutsPerRun ?? 10,
    ...(options.oneUnetCopy ? { oneUnetCopy: true } : {}),
    ...(sources.lpips ? { initLoss: true } : {}),
    upscalers,
    session: (spec) => pool.session(spec),
    release: (spec) => pool.release(spec),
    async dispose() {
      await pool.dispose();
      await Promise.all(Object.values(upscalers).map((u) => u.dispose()));
    },
  };
}
