import { type CancelSignal, SettingsError, throwIfAborted } from '../../errors';
import { optimize, serialize } from '../../graph';
import { hostTensor, type Runtime, type Session } from '../../runtime';
import { buildSwinIRGraph } from './build';
import type { SwinIRConfig } from './config';
import type { SwinIRModel } from './load';
import { clampUnit, crop, mirrorPad, paddedSize, planarImage, type PlanarImage } from './planar';
import { type AxisPlan, blendWeights, planAxis, type TileOptions } from './tiles';

/** A part of the input image, in its pixels. */
export interface ImageRegion {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

export interface UpscaleProgress {
  /** Tiles done so far, 1-based after each tile. */
  readonly tile: number;
  readonly tiles: number;
  /** The part of the input image the finished tile covers (its padding left out). */
  readonly region: ImageRegion;
}

export interface UpscaleOptions {
  /** Cut the padded image into overlapping tiles; without it the whole image is one tile, as the seed runs it. */
  readonly tiling?: TileOptions;
  readonly onProgress?: (p: UpscaleProgress) => void;
  readonly signal?: CancelSignal;
}

/** What a tile graph cost, for reports: nodes after optimize(), build + optimize + serialize time, session creation time. */
export interface TileGraphStats {
  readonly height: number;
  readonly width: number;
  /** NaN for a prebuilt graph (its bytes are not parsed). */
  readonly nodes: number;
  readonly buildMs: number;
  readonly sessionMs: number;
}

export interface SwinIRUpscaler {
  /** The seed's procedure up to the crop: [3, 4h, 4w], NOT clamped. */
  superResolve(image: PlanarImage, options?: UpscaleOptions): Promise<PlanarImage>;
  /** SwinIRPredictor.predict: superResolve, then clamp to [0, 1]. */
  predict(image: PlanarImage, options?: UpscaleOptions): Promise<PlanarImage>;
  /** The graph of the session currently held, if any. */
  readonly stats: TileGraphStats | undefined;
  dispose(): Promise<void>;
}

/**
 * A weight floor keeps every output pixel defined even where all tiles covering it are near an
 * inner edge (tiles barely larger than the overlap); elsewhere it changes results by ~1e-6 relative.
 */
const MIN_WEIGHT = 1e-6;

interface Accumulator {
  readonly sum: Float32Array;
  readonly weight: Float32Array;
}

/** Adds one tile's output [3, 4th, 4tw], weighted by the outer product of its axis weights, into the canvas. */
function accumulate(acc: Accumulator, canvas: { height: number; width: number }, out: Float32Array, at: { top: number; left: number }, wy: Float32Array, wx: Float32Array): void {
  const [th, tw] = [wy.length, wx.length];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < th; y++) {
      const row = (c * canvas.height + at.top + y) * canvas.width + at.left;
      for (let x = 0; x < tw; x++) {
        const w = Math.max(wy[y]! * wx[x]!, MIN_WEIGHT);
        acc.sum[row + x]! += w * out[(c * th + y) * tw + x]!;
        if (c === 0) acc.weight[(at.top + y) * canvas.width + at.left + x]! += w;
      }
    }
  }
}

function normalise(acc: Accumulator, height: number, width: number): PlanarImage {
  const plane = height * width;
  return planarImage(3, height, width, acc.sum.map((v, i) => v / acc.weight[i % plane]!));
}

/**
 * A SwinIR tile graph converted beforehand (`cli convert swinir`, a pack's swinir.onnx): it runs
 * tiles of `tile`×`tile` only, so an image is cut into tiles of that size.
 */
export interface PrebuiltSwinIR {
  readonly config: SwinIRConfig;
  readonly tile: number;
  readonly bytes: Uint8Array;
}

/** An upscaler's network: a checkpoint (a graph built per tile shape) or one prebuilt tile graph. */
export type SwinIRNetwork = SwinIRModel | PrebuiltSwinIR;

const isPrebuilt = (n: SwinIRNetwork): n is PrebuiltSwinIR => 'bytes' in n;

/** The ONNX bytes and node count of the tile graph for height × width. */
function tileGraph(network: SwinIRNetwork, height: number, width: number): { bytes: Uint8Array; nodes?: number } {
  if (!isPrebuilt(network)) {
    const graph = optimize(buildSwinIRGraph(network.config, network.weights, { height, width }));
    return { bytes: serialize(graph), nodes: graph.nodes.length };
  }
  if (height !== network.tile || width !== network.tile) {
    throw new SettingsError(`the SwinIR graph was converted for ${network.tile}×${network.tile} tiles and cannot run a ${height}×${width} tile (this image pads to it); convert it with --tile ${Math.min(height, width)} or smaller`);
  }
  return { bytes: network.bytes };
}

/** One session per tile shape; a new shape replaces the session held. */
function sessionCache(runtime: Runtime, network: SwinIRNetwork) {
  let held: { key: string; session: Session; stats: TileGraphStats } | undefined;
  return {
    get stats() {
      return held?.stats;
    },
    async get(height: number, width: number): Promise<Session> {
      const key = `${height}x${width}`;
      if (held?.key === key) return held.session;
      await this.dispose();
      const start = Date.now();
      const graph = tileGraph(network, height, width);
      const built = Date.now();
      const session = await runtime.createSession(graph.bytes);
      held = { key, session, stats: { height, width, nodes: graph.nodes ?? NaN, buildMs: built - start, sessionMs: Date.now() - built } };
      return session;
    },
    async dispose(): Promise<void> {
      const old = held;
      held = undefined;
      await old?.session.dispose();
    },
  };
}

/** The CLI's default overlap (`upscale --overlap`), below the tile and a multiple of the window. */
const PREBUILT_OVERLAP = 32;

/**
 * A prebuilt graph's tiling: without one asked for, an image padding to more than its tile is cut
 * into its tiles with an overlap of 32 (README: tiled vs whole); smaller images go whole and are refused by tileGraph.
 */
function tilingFor(network: SwinIRNetwork, options: UpscaleOptions, padded: { height: number; width: number }, ws: number): UpscaleOptions {
  if (options.tiling || !isPrebuilt(network) || Math.max(padded.height, padded.width) <= network.tile) return options;
  const overlap = Math.min(PREBUILT_OVERLAP, Math.floor((network.tile - 1) / ws) * ws);
  return { ...options, tiling: { tile: network.tile, overlap } };
}

/** A tiling that covers the padded image with one tile when none is asked for. */
const planOf = (length: number, options: UpscaleOptions, windowSize: number): AxisPlan =>
  planAxis(length, options.tiling ?? { tile: length, overlap: 0 }, windowSize);

/**
 * SwinIR ×4 of an RGB image in [0, 1] (seed spec §10.3): mirror-pad bottom/right to the next
 * multiple of the window strictly above the size, run the network (tile by tile, blended), crop
 * to 4h × 4w. Tiles run in order; progress is reported and cancellation checked after each.
 */
export function createSwinIRUpscaler(runtime: Runtime, network: SwinIRNetwork): SwinIRUpscaler {
  const sessions = sessionCache(runtime, network);
  const ws = network.config.windowSize;
  const scale = network.config.upscale;

  async function superResolve(image: PlanarImage, asked: UpscaleOptions = {}): Promise<PlanarImage> {
    const padded = mirrorPad(image, paddedSize(image.height, ws), paddedSize(image.width, ws));
    const options = tilingFor(network, asked, padded, ws);
    const [rows, cols] = [planOf(padded.height, options, ws), planOf(padded.width, options, ws)];
    const session = await sessions.get(rows.size, cols.size);
    const canvas = { height: padded.height * scale, width: padded.width * scale };
    const acc = { sum: new Float32Array(3 * canvas.height * canvas.width), weight: new Float32Array(canvas.height * canvas.width) };
    const overlap = options.tiling?.overlap ?? 0;
    const tiles = rows.starts.length * cols.starts.length;
    let done = 0;
    for (const top of rows.starts) {
      for (const left of cols.starts) {
        throwIfAborted(options.signal, 'upscaling');
        const tile = crop(padded, top, left, rows.size, cols.size);
        const out = await session.run({ x: hostTensor('float32', [1, 3, rows.size, cols.size], tile.data) });
        const weights = [blendWeights(rows, top, overlap, scale), blendWeights(cols, left, overlap, scale)] as const;
        accumulate(acc, canvas, out.y!.data as Float32Array, { top: top * scale, left: left * scale }, ...weights);
        const region = { top, left, height: Math.min(rows.size, image.height - top), width: Math.min(cols.size, image.width - left) };
        options.onProgress?.({ tile: ++done, tiles, region });
      }
    }
    return crop(normalise(acc, canvas.height, canvas.width), 0, 0, image.height * scale, image.width * scale);
  }

  return {
    superResolve,
    predict: async (image, options) => clampUnit(await superResolve(image, options)),
    get stats() {
      return sessions.stats;
    },
    dispose: () => sessions.dispose(),
  };
}
