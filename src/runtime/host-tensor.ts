import type { DType, DTypeArray } from '../graph';

/** Tensor data on the host, independent of onnxruntime's own tensor class. */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArray[D];
}

export const hostTensor = <D extends DType>(dtype: D, shape: readonly number[], data: DTypeArray[D]): HostTensor<D> => ({ dtype, shape, data });
