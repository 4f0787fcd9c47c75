import { annealedLr } from './optimizer';

/**
 * TrainLoop.run_loop's schedule (seed-spec §12), with upstream's quirks: the lr is annealed after
 * each step from the counter before it moves on; a dump and a save happen when the counter is a
 * multiple of their intervals *before* it is incremented, so `model000000.pt` already holds one
 * step; files are numbered step + resume_step; with lr_anneal_steps the loop ends when the counter
 * reaches it and saves the last state unless that step was just saved. What a step does is the
 * caller's.
 */

export interface LoopSettings {
  readonly lr: number;
  readonly lrAnnealSteps: number;
  readonly logInterval: number;
  readonly saveInterval: number;
  /** The optimizer's lr for the first step when it differs from `lr`: a resumed opt file's, which load_state_dict restores. */
  readonly firstLr?: number;
  /** parse_resume_step_from_filename of the checkpoint resumed from. */
  readonly resumeStep: number;
  /** DIFFUSION_TRAINING_TEST: return right after the first save past step 0. */
  readonly exitAfterSave?: boolean;
}

export interface LoopHooks {
  /** forward_backward, the optimizer step and the EMAs at this lr; `step` is the counter (0 first). */
  readonly step: (step: number, lr: number) => Promise<void>;
  /** log_step: the counter and sample count the logger records after the step. */
  readonly logStep: (step: number) => void;
  readonly dump: () => Promise<void>;
  /** save(): every file of the step, numbered `fileStep`; `lr` is the optimizer's, already annealed for the next step. */
  readonly save: (fileStep: number, lr: number) => Promise<void>;
  /** Checked before each step: true ends the loop as lr_anneal_steps would, with the final save (our addition: Ctrl-C, Stop). */
  readonly stopRequested?: () => boolean;
}

/** Runs the loop; returns the step counter at exit (TrainLoop.step). */
export async function runTrainLoop(s: LoopSettings, hooks: LoopHooks): Promise<number> {
  if (!(s.logInterval >= 1 && s.saveInterval >= 1)) throw new RangeError(`log_interval and save_interval must be at least 1, got ${s.logInterval} and ${s.saveInterval}`);
  let step = 0;
  let lr = s.firstLr ?? s.lr;
  while ((!s.lrAnnealSteps || step + s.resumeStep < s.lrAnnealSteps) && !hooks.stopRequested?.()) {
    await hooks.step(step, lr);
    lr = annealedLr(s.lr, s.lrAnnealSteps, step, s.resumeStep);
    hooks.logStep(step + s.resumeStep);
    if (step % s.logInterval === 0) await hooks.dump();
    if (step % s.saveInterval === 0) {
      await hooks.save(step + s.resumeStep, lr);
      if (s.exitAfterSave && step > 0) return step;
    }
    step += 1;
  }
  // Python's %: (−1) % n is n − 1, so a loop that never ran still saves (unless n is 1).
  if ((((step - 1) % s.saveInterval) + s.saveInterval) % s.saveInterval !== 0) await hooks.save(step + s.resumeStep, lr);
  return step;
}
