import { openCheckpoint, readTensor, readTensorFloat32, type ByteSource, type Tensor as StoredTensor } from '../../checkpoint/index';
import { CheckpointError } from '../../errors';
import { type ArrayWeights, PlaceholderWeights, readWeights, type WeightSource } from '../weights';
import { buildSwinIRGraph } from './build';
import { inferSwinIRConfig, type SwinIRConfig } from './config';
import { relativePositionIndex, shiftMask, windowGrid } from './geometry';

/** An architecture and its parameters (a checkpoint's, or seeded ones for benchmarks). */
export interface SwinIRModel {
  readonly config: SwinIRConfig;
  readonly weights: WeightSource;
}

/** The non-parameter buffers SwinIR registers; the graph computes its own for each tile size. */
const isBuffer = (name: string): boolean => name.endsWith('.relative_position_index') || name.endsWith('.attn_mask');

/** The state dict names and shapes the architecture needs, listed by building a one-window graph without data. */
export function expectedShapes(config: SwinIRConfig): ReadonlyMap<string, readonly number[]> {
  const placeholders = new PlaceholderWeights();
  buildSwinIRGraph(config, placeholders, { height: config.windowSize, width: config.windowSize });
  return placeholders.shapes;
}

function differs(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}

/**
 * The buffers hold SwinIR's formulas evaluated at training size (a square img_size, from
 * attn_mask's [(img/ws)², ws², ws²]); ours must agree with them where the sizes agree, or the file
 * is not what its names say. A non-square training size is not checked.
 */
async function checkBuffer(name: string, t: StoredTensor, windowSize: number): Promise<void> {
  let ours: BigInt64Array | Float32Array;
  if (name.endsWith('relative_position_index')) ours = relativePositionIndex(windowSize);
  else {
    const windows = Math.round(Math.sqrt(t.shape[0] ?? 0));
    if (windows * windows !== t.shape[0]) return;
    ours = shiftMask(windowGrid(windows * windowSize, windows * windowSize, windowSize), Math.floor(windowSize / 2));
  }
  const stored = t.dtype === 'I64' ? await readTensor(t as StoredTensor & { dtype: 'I64' }) : await readTensorFloat32(t);
  if (differs(stored, ours)) throw new CheckpointError(`buffer ${name} [${t.shape.join(', ')}] differs from SwinIR's formula for window ${windowSize}`);
}

/**
 * Reads a SwinIR real-SR checkpoint (.pth, state dict under params_ema or bare, or safetensors):
 * infers the architecture, checks every parameter's shape and the buffers, reads the weights.
 */
export async function loadSwinIR(source: ByteSource, options: { largeSr?: boolean; label?: string } = {}): Promise<SwinIRModel & { readonly weights: ArrayWeights }> {
  const ck = await openCheckpoint(source);
  const config = inferSwinIRConfig(new Map([...ck.tensors].map(([name, t]) => [name, t.shape])), options.largeSr);
  const params = new Map([...ck.tensors].filter(([name]) => !isBuffer(name)));
  for (const [name, t] of ck.tensors) if (isBuffer(name)) await checkBuffer(name, t, config.windowSize);
  return { config, weights: await readWeights(params, expectedShapes(config), options.label ?? 'SwinIR checkpoint') };
}
