import * as g from '../src/graph';
import { buildGuidedUnetGraph, buildUnetGraph, resolveConfig, UNET_PRESETS, unetParameterShapes, type UnetConfig } from '../src/models/unet';
import { ArrayWeights } from '../src/models/weights';
import { hostTensor, type HostTensor, type Runtime } from '../src/runtime';
import { createRng } from '../src/sampling/rng';
import { countFlops, gflopsFigure } from './flops';
import type { Benchmark, Figure } from './run';

const RUNS = 3;
/** Runs before the timed ones: a session's first runs touch fresh memory (page faults), later ones reuse it. */
const WARM_UPS = 2;

/** Seeded N(0, 1/fan-in) weights for every tensor the config needs, generated once and shared by both graphs. */
function seededWeights(config: UnetConfig): { weights: ArrayWeights; parameters: number } {
  const rng = createRng(20261126);
  const arrays = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let parameters = 0;
  for (const [name, shape] of unetParameterShapes(config)) {
    const data = rng.fillNormal(new Float32Array(g.size(shape)));
    const std = 1 / Math.sqrt(shape.length > 1 ? g.size(shape.slice(1)) : 1);
    for (let i = 0; i < data.length; i++) data[i]! *= std;
    arrays.set(name, { shape, data });
    parameters += data.length;
  }
  return { weights: new ArrayWeights(arrays, 'seeded'), parameters };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, performance.now() - t0];
}

async function medianRunMs(runtime: Runtime, model: Uint8Array, feeds: Record<string, HostTensor>): Promise<{ sessionMs: number; runMs: number }> {
  const t0 = performance.now();
  const session = await runtime.createSession(model);
  const sessionMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < WARM_UPS + RUNS; i++) {
    const t1 = performance.now();
    await session.run(feeds);
    if (i >= WARM_UPS) times.push(performance.now() - t1);
  }
  await session.dispose();
  return { sessionMs, runMs: times.sort((x, y) => x - y)[Math.floor(times.length / 2)]! };
}

function feedsFor(config: UnetConfig, guided: boolean): Record<string, HostTensor> {
  const rng = createRng(3);
  const shape = [1, 3, config.imageSize, config.imageSize];
  const image = () => hostTensor('float32', shape, rng.fillNormal(new Float32Array(g.size(shape))));
  const base = { x: image(), t: hostTensor('float32', [1], Float32Array.of(500)) };
  if (!guided) return base;
  const scalar = (v: number) => hostTensor('float32', [1], Float32Array.of(v));
  return { ...base, sqrt_recip_alphas_cumprod: scalar(1.4), sqrt_recipm1_alphas_cumprod: scalar(0.98), pred_xstart_cotangent: image() };
}

const ms = (value: number): Figure => ({ value: +value.toFixed(0), unit: 'ms' });

const bench: Benchmark = {
  description: 'the 256×256 clip-diffusion-art UNet (seeded random weights): build, ONNX size, session, forward and forward+VJP in Node (native onnxruntime or --backend wasm)',
  async run(_args, context) {
    const config = { ...resolveConfig(UNET_PRESETS['256x256_clip_diffusion_art']!.flags), useFp16: false };
    const [{ weights, parameters }, weightsMs] = timed(() => seededWeights(config));
    const [forwardGraph, forwardBuildMs] = timed(() => g.optimize(buildUnetGraph(config, weights)));
    const [forward, forwardSerializeMs] = timed(() => g.serialize(forwardGraph));
    const [guidedGraph, guidedBuildMs] = timed(() => g.optimize(buildGuidedUnetGraph(config, weights)));
    const [guided, guidedSerializeMs] = timed(() => g.serialize(guidedGraph));
    const [forwardFlops, guidedFlops] = [countFlops(forwardGraph), countFlops(guidedGraph)];
    const runtime = context.runtime();
    const fwd = await medianRunMs(runtime, forward, feedsFor(config, false));
    const both = await medianRunMs(runtime, guided, feedsFor(config, true));
    const buildMs = forwardBuildMs + forwardSerializeMs + guidedBuildMs + guidedSerializeMs;
    const ratio = +(both.runMs / fwd.runMs).toFixed(2);
    const figures: Record<string, Figure> = {
      parameters: { value: parameters, unit: 'parameters' },
      weight_generation: ms(weightsMs),
      build_both_graphs: { ...ms(buildMs), target: '< 20000', pass: buildMs < 20_000 },
      build_guided_graph: ms(guidedBuildMs + guidedSerializeMs),
      onnx_bytes_forward: { value: forward.byteLength, unit: 'bytes' },
      onnx_bytes_guided: { value: guided.byteLength, unit: 'bytes' },
      session_create_forward: ms(fwd.sessionMs),
      session_create_guided: ms(both.sessionMs),
      forward: ms(fwd.runMs),
      forward_and_vjp: ms(both.runMs),
      vjp_ratio: { value: ratio, unit: '×', target: '<= 3', pass: ratio <= 3 },
      gflop_forward: { value: +(forwardFlops / 1e9).toFixed(1), unit: 'GFLOP' },
      gflop_forward_and_vjp: { value: +(guidedFlops / 1e9).toFixed(1), unit: 'GFLOP' },
      gflops_forward: gflopsFigure(forwardFlops, fwd.runMs),
      gflops_forward_and_vjp: gflopsFigure(guidedFlops, both.runMs),
      peak_rss: { value: +(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2), unit: 'GiB' },
    };
    const notes = [
      `batch 1, 256×256, fp32 weights; median of ${RUNS} runs after ${WARM_UPS} warm-ups; build = construct + optimise + serialise both graph forms`,
      'FLOPs count Conv, ConvTranspose and MatMul only; peak RSS is the whole process (weights, serialised models, wasm heap)',
    ];
    return { figures, notes };
  },
};

export default bench;
