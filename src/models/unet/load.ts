import type { Checkpoint } from '../../checkpoint/index';
import { readWeights, type ArrayWeights } from '../weights';
import type { UnetConfig } from './config';
import { unetParameterShapes } from './graphs';

/**
 * Checks a checkpoint's state dict against the configuration (the first tensor that does not fit is
 * named with both shapes; so are tensors the configuration does not use) and reads its weights as
 * float32 (fp16 checkpoints are widened exactly).
 */
export function loadUnetWeights(checkpoint: Pick<Checkpoint, 'tensors'>, config: UnetConfig, label: string): Promise<ArrayWeights> {
  return readWeights(checkpoint.tensors, unetParameterShapes(config), label);
}
