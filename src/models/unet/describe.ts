import type { GraphData } from '../../graph';
import type { UnetConfig } from './config';

export interface ValueDoc {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly meaning: string;
}

/** One ONNX file as model.json lists it. */
export interface GraphDoc {
  readonly path: string;
  readonly form: 'forward' | 'guided';
  readonly bytes: number;
  /** External-data files the graph's constants live in (empty when self-contained). */
  readonly external: readonly string[];
  readonly inputs: readonly ValueDoc[];
  readonly outputs: readonly ValueDoc[];
}

/** What each graph input and output means (seed-spec §8.3–8.4, §11.3). */
function meanings(config: UnetConfig): Readonly<Record<string, string>> {
  const out = config.outChannels === 6
    ? 'model output: channels 0–2 the predicted noise ε, 3–5 the learned-range variance value v (log σ² = f·log β + (1−f)·log σ̃², f = (v+1)/2)'
    : 'model output: the predicted noise ε';
  return {
    x: 'the noisy image x_t, NCHW, model space (data in [−1, 1])',
    t: 'the timestep as UNetModel.forward receives it, float: timestep_map[i]·1000/T with rescale_timesteps, else the integer step',
    y: 'class labels in [0, 1000), int64 (class_cond)',
    sqrt_recip_alphas_cumprod: "the step's √(1/ᾱ) (float64 schedule value cast to float32)",
    sqrt_recipm1_alphas_cumprod: "the step's √(1/ᾱ − 1) (float64 schedule value cast to float32)",
    pred_xstart_cotangent: 'the cotangent g on pred_xstart: ∂loss/∂pred_xstart of the guidance loss',
    out,
    pred_xstart: 'x̂0 = √(1/ᾱ)·x − √(1/ᾱ − 1)·ε, unclamped (clip_denoised False)',
    grad_x: 'the vector-Jacobian product (∂pred_xstart/∂x)ᵀ·g through the UNet',
  };
}

/** The inputs and outputs of a graph with their meanings; taps (intermediates) are described by name. */
export function describeGraph(graph: Pick<GraphData, 'inputs' | 'outputs'>, config: UnetConfig, file: Omit<GraphDoc, 'inputs' | 'outputs'>): GraphDoc {
  const m = meanings(config);
  const doc = (t: GraphData['inputs'][number]): ValueDoc => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], meaning: m[t.name] ?? `intermediate value ${t.name} (UNetModel module output)` });
  return { ...file, inputs: graph.inputs.map(doc), outputs: graph.outputs.map(doc) };
}
