import { describe, expect, it } from 'vitest';
import { conv2d, Graph, serialize, tanh } from '../../src/graph';
import { ModelProto } from '../../src/graph/onnx-proto';

/** A small conv net built afresh on every call. */
function convNet(): Graph {
  const g = new Graph('conv-net');
  const w = g.constant('float32', [4, 3, 3, 3], Float32Array.from({ length: 108 }, (_, i) => Math.sin(i)), 'w');
  g.output(tanh(conv2d(g.input('x', 'float32', [1, 3, 8, 8]), w, undefined, { padding: 1 })), 'y');
  return g;
}

describe('serialize', () => {
  it('gives byte-identical files for the same graph', () => {
    expect(serialize(convNet())).toEqual(serialize(convNet()));
  });

  it('writes an opset-17 ModelProto whose graph round-trips through the decoder', () => {
    const g = new Graph('roundtrip');
    const x = g.input('x', 'float32', [1, 2]);
    g.output(x, 'y');
    const decoded = ModelProto.toObject(ModelProto.decode(serialize(g)), { longs: Number }) as {
      opsetImport: { version: number }[];
      graph: { input: { name: string }[]; output: { name: string }[]; node: { opType: string }[] };
    };
    expect(decoded.opsetImport[0]!.version).toBe(17);
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['x']);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['y']);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Identity']);
  });

  it('refuses a constant whose data does not fit its shape, and duplicate names', () => {
    const g = new Graph('bad');
    expect(() => g.constant('float32', [2, 2], new Float32Array(3), 'w')).toThrowError(/constant w has 3 values but shape \[2, 2\] needs 4/);
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrowError(/the name x is already used/);
  });
});
