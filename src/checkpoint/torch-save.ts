import { pickleProtocol2, orderedDict, pyGlobal, pyTuple, type Picklable } from './pickle-write';
import { contiguousStrides, numel } from './tensor';
import { storedZipParts, type ZipEntry } from './zip-write';

/**
 * torch.save as torch 1.13 writes it to a file object (`bf.BlobFile` in train.py, hence the
 * 'archive' folder): the pickle at protocol 2 with each storage as a persistent id
 * ('storage', torch.FloatStorage, key, 'cpu', numel), keys numbered in the order the pickler meets
 * them, then the storages sorted by key as strings, then 'version'. Only float32 tensors are
 * written: what training saves.
 */

/** How a tensor is pickled: a plain tensor (optimizer state, `model.state_dict()`) or an nn.Parameter (TrainLoop's saves). */
export type TensorForm = 'tensor' | 'parameter';

/** Makes the pickled form of a float32 tensor and registers its storage; call it in the order the pickle holds the tensors. */
export type TensorWriter = (data: Float32Array, shape: readonly number[], form: TensorForm) => Picklable;

const FOLDER = 'archive';

/** The bytes of `torch.save(value, f)`, as parts to concatenate; `build` makes the value, calling its TensorWriter in pickle order. */
export function torchSaveParts(build: (tensor: TensorWriter) => Picklable): Uint8Array[] {
  const storages: { key: string; data: Float32Array }[] = [];
  const tensor: TensorWriter = (data, shape, form) => {
    if (data.length !== numel(shape)) throw new RangeError(`torch.save: ${data.length} values do not fill the shape [${shape.join(', ')}]`);
    const key = String(storages.length);
    storages.push({ key, data });
    const storage = { kind: 'persistent', pid: pyTuple('storage', pyGlobal('torch', 'FloatStorage'), key, 'cpu', data.length) } as const;
    const plain = {
      kind: 'reduce',
      func: pyGlobal('torch._utils', '_rebuild_tensor_v2'),
      args: pyTuple(storage, 0, pyTuple(...shape), pyTuple(...contiguousStrides(shape)), false, orderedDict([])),
    } as const;
    return form === 'parameter' ? { kind: 'reduce', func: pyGlobal('torch._utils', '_rebuild_parameter'), args: pyTuple(plain, true, orderedDict([])) } : plain;
  };
  const pickle = pickleProtocol2(build(tensor));
  const entries: ZipEntry[] = [
    { name: `${FOLDER}/data.pkl`, data: pickle },
    ...storages
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map(({ key, data }) => ({ name: `${FOLDER}/data/${key}`, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })),
    { name: `${FOLDER}/version`, data: new TextEncoder().encode('3\n') },
  ];
  return storedZipParts(entries);
}
