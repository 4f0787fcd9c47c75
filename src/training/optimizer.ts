/**
 * TrainLoop's optimiser side (seed-spec §12): torch 1.13's single-tensor AdamW, update_ema and
 * _anneal_lr, on float32 arrays with one rounding per torch kernel. The arrays are updated in
 * place: a real model's parameters, moments and EMAs are hundreds of megabytes each.
 */
export type Tensors = Map<string, Float32Array>;

export interface AdamWOptions {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
}

export interface AdamWState {
  /** torch keeps `step` as a float32 0-d tensor per parameter; they all move together here. */
  step: number;
  readonly expAvg: Tensors;
  readonly expAvgSq: Tensors;
}

export const adamWState = (params: Tensors): AdamWState => ({
  step: 0,
  expAvg: new Map([...params].map(([name, p]) => [name, new Float32Array(p.length)])),
  expAvgSq: new Map([...params].map(([name, p]) => [name, new Float32Array(p.length)])),
});

const f = Math.fround;

/**
 * One `_single_tensor_adamw` step at learning rate `lr`: decoupled decay p·(1 − lr·wd), the moments,
 * then p − (lr / (1 − β1^step))·m / (√v / √(1 − β2^step) + eps), bias corrections in float64 as
 * Python computes them.
 */
export function adamWStep(params: Tensors, grads: Tensors, state: AdamWState, o: AdamWOptions): void {
  state.step += 1;
  const [b1, b2] = o.betas;
  const decay = f(1 - o.lr * o.weightDecay);
  const stepSize = o.lr / (1 - b1 ** state.step);
  const correction2Sqrt = Math.sqrt(1 - b2 ** state.step);
  for (const [name, p] of params) {
    const g = grads.get(name);
    if (!g) throw new Error(`AdamW: no gradient for ${name}`);
    const m = state.expAvg.get(name)!;
    const v = state.expAvgSq.get(name)!;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      if (o.weightDecay !== 0) p[i] = f(p[i]! * decay);
      m[i] = f(f(m[i]! * b1) + f(gi * (1 - b1)));
      v[i] = f(f(v[i]! * b2) + f(f(gi * gi) * (1 - b2)));
      const denom = f(f(f(Math.sqrt(v[i]!)) / correction2Sqrt) + o.eps);
      p[i] = f(p[i]! + f(-stepSize * f(m[i]! / denom)));
    }
  }
}

/** update_ema: e ← e·rate + p·(1 − rate), after every step. */
export function updateEma(ema: Tensors, params: Tensors, rate: number): void {
  for (const [name, p] of params) {
    const e = ema.get(name)!;
    for (let i = 0; i < p.length; i++) e[i] = f(f(e[i]! * rate) + f(p[i]! * (1 - rate)));
  }
}

/**
 * _anneal_lr, run after each step with the step counter before it moves on: lr·(1 − (step +
 * resume_step)/lr_anneal_steps), or lr unchanged when lr_anneal_steps is 0.
 */
export const annealedLr = (lr: number, annealSteps: number, step: number, resumeStep: number): number =>
  (annealSteps ? lr * (1 - (step + resumeStep) / annealSteps) : lr);

/**
 * parse_resume_step_from_filename as train.py has it: the *whole path* split on "model", the last
 * part read up to its first "." with Python's int(), 0 when that fails (so "ema_0.9999_000500.pt"
 * gives 0, and a start file "finetune_model3.pt" gives 3).
 */
export function parseResumeStep(path: string): number {
  const parts = path.split('model');
  if (parts.length < 2) return 0;
  const text = parts.at(-1)!.split('.')[0]!;
  return /^\s*[+-]?\d+(_\d+)*\s*$/.test(text) ? Number(text.replace(/_/g, '').trim()) : 0;
}
