import { readFile, writeFile } from 'node:fs/promises';
import { SettingsError } from '../../errors';
import { rgbaToUnitChw, unitChwToRgba } from '../../image/unit-chw';
import { createSwinIRUpscaler, loadSwinIR, planarImage, type TileOptions } from '../../models/swinir/index';
import { decodePng, encodePng } from '../../png/index';
import { withFileSource } from '../file-source';
import { describeNodeBackend, nodeRuntime, type BackendOptions } from '../../runtime/node';
import { BACKEND_USAGE, parseBackendArgs } from '../backend-args';

export const summary = 'SwinIR ×4 real-world super-resolution of a PNG (the seed\'s --sr_model_path step)';
export const usage = `npm run cli -- upscale in.png --sr_model_path F [--large_sr] --out out.png [--tile T --overlap O]
  ${BACKEND_USAGE}`;

interface UpscaleArgs {
  input: string;
  model: string;
  out: string;
  largeSr: boolean;
  tiling?: TileOptions;
  backend: BackendOptions;
}

function integer(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 0) throw new SettingsError(`${flag}: expected a non-negative integer, got ${v ?? 'nothing'}`);
  return n;
}

/** The seed's flags (--sr_model_path, --large_sr) plus tiling, which the seed does not have (it runs the image whole). */
function parseArgs(all: readonly string[]): UpscaleArgs | undefined {
  const { options: backend, rest: args } = parseBackendArgs(all);
  const positional: string[] = [];
  const opts: Record<string, string | undefined> = {};
  let largeSr = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--large_sr') largeSr = true;
    else if (['--sr_model_path', '--out', '--tile', '--overlap'].includes(a)) opts[a.slice(2)] = args[++i];
    else if (a.startsWith('--')) throw new SettingsError(`upscale: unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1 || !opts.sr_model_path || !opts.out) return undefined;
  const tiling = opts.tile === undefined ? undefined : { tile: integer('--tile', opts.tile), overlap: opts.overlap === undefined ? 32 : integer('--overlap', opts.overlap) };
  return { input: positional[0]!, model: opts.sr_model_path, out: opts.out, largeSr, backend, ...(tiling ? { tiling } : {}) };
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (!parsed) {
    console.error(`usage: ${usage}`);
    return 2;
  }
  const png = decodePng(new Uint8Array(await readFile(parsed.input)));
  const model = await withFileSource(parsed.model, (source) => loadSwinIR(source, { largeSr: parsed.largeSr, label: parsed.model }));
  const runtime = nodeRuntime(parsed.backend);
  console.log(`backend: ${describeNodeBackend(runtime.backend)}`);
  const upscaler = createSwinIRUpscaler(runtime, model);
  const start = Date.now();
  try {
    const image = planarImage(3, png.height, png.width, rgbaToUnitChw(png.data, png.height, png.width));
    const out = await upscaler.predict(image, {
      ...(parsed.tiling ? { tiling: parsed.tiling } : {}),
      onProgress: ({ tile, tiles }) => console.log(`tile ${tile}/${tiles} (${((Date.now() - start) / 1000).toFixed(1)} s)`),
    });
    const stats = upscaler.stats;
    if (stats) console.log(`graph ${stats.height}×${stats.width}: ${stats.nodes} nodes, built in ${stats.buildMs} ms, session created in ${stats.sessionMs} ms`);
    await writeFile(parsed.out, encodePng({ width: out.width, height: out.height, data: unitChwToRgba(out.data, out.height, out.width) }));
    console.log(`wrote ${parsed.out} (${out.width}×${out.height})`);
  } finally {
    await upscaler.dispose();
  }
  return 0;
}
