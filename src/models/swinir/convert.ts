import { SettingsError } from '../../errors';
import { optimize, serialize } from '../../graph';
import type { ConvertedModel, ConvertRequest } from '../convert';
import { buildSwinIRGraph } from './build';
import { loadSwinIR } from './load';
import { paddedSize } from './planar';

export const SWINIR_CONVERT_USAGE = 'convert swinir --checkpoint F --out DIR [--large_sr] [--tile T] [--fp16 | --fp32]';

/** The seed upscales its 256×256 result whole: padded to 264 (seed spec §10.3), so that is the default tile. */
const DEFAULT_TILE = paddedSize(256, 8);

function parseOptions(args: readonly string[]): { largeSr?: boolean; tile: number } {
  let largeSr: boolean | undefined;
  let tile = DEFAULT_TILE;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--large_sr') largeSr = true;
    else if (args[i] === '--tile') {
      tile = Number(args[++i]);
      if (!Number.isInteger(tile) || tile < 1) throw new SettingsError(`convert swinir: --tile needs a positive integer, got ${args[i] ?? 'nothing'}`);
    } else throw new SettingsError(`convert swinir: unknown option ${args[i]} (usage: ${SWINIR_CONVERT_USAGE})`);
  }
  return { ...(largeSr === undefined ? {} : { largeSr }), tile };
}

/**
 * `convert swinir`: reads a real-SR checkpoint (params_ema), infers its architecture (checked
 * against --large_sr when given) and writes `swinir.onnx` for one square tile (x [1,3,T,T] in
 * [0,1] → y [1,3,4T,4T], unclamped) with model.json. Padding, tiling, crop and clamp are the host's
 * (createSwinIRUpscaler). Weights stay float32 unless --fp16.
 */
export async function convertSwinIR(request: ConvertRequest): Promise<ConvertedModel> {
  const { largeSr, tile } = parseOptions(request.args);
  const model = await loadSwinIR(request.source, { ...(largeSr === undefined ? {} : { largeSr }), label: request.sourceName });
  const graph = optimize(buildSwinIRGraph(model.config, model.weights, { height: tile, width: tile }));
  const fp16 = request.fp16 ?? false;
  const data = serialize(graph, { weights: fp16 ? 'float16' : 'float32' });
  const manifest = {
    kind: 'swinir',
    source: { file: request.sourceName, bytes: request.source.size, sha256: request.sourceSha256 },
    weights: fp16 ? 'float16' : 'float32',
    config: model.config,
    graphs: [{
      path: 'swinir.onnx',
      bytes: data.byteLength,
      nodes: graph.nodes.length,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, tile, tile], meaning: 'RGB tile in [0, 1], already mirror-padded to a multiple of the window' }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 4 * tile, 4 * tile], meaning: 'SwinIR ×4 output of the tile, not clamped' }],
    }],
  };
  return { files: [{ path: 'swinir.onnx', data }], manifest };
}
