import { openCheckpoint, type ByteSource } from '../../checkpoint/index';
import { grad, Graph, opsOffWebGpu, optimize, serialize } from '../../graph';
import { lpips, loadLpips, stackLayers, TAP_NAMES, type LpipsModel } from '../../models/lpips/index';
import { hostTensor, type HostTensor } from '../../runtime';
import { isCheckpointFile } from './checkpoint-files';
import { ref, withRefs, type Refs } from './model-checks';
import { cannotInterpret, compareArrays, exact, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

interface LpipsCase {
  readonly name: string;
  readonly tensors: readonly string[];
}

interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** A case's tensors that are fed, not checked. */
const INPUTS = new Set(['x_in', 'init', 'cotangent']);

/** Where the manifest gives no tolerance for a tensor: the 1e-4 relative. */
const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 0 };

/** settings.tolerances' key for a reference tensor of a case (`feat.relu1_2` → `feat`). */
const toleranceKey = (tensor: string): string => tensor.split('.')[0]!;

/** |port − ref| ≤ atol + rtol · max|ref| over the array (a NaN anywhere fails). */
function withinTolerance(group: string, name: string, actual: ArrayLike<number>, reference: ArrayLike<number>, { rtol, atol }: Tolerance): CheckResult {
  const { maxAbs, maxRel, maxRef } = compareArrays(actual, reference);
  const tolerance = atol + rtol * maxRef;
  return { group, name, maxAbs, maxRel, tolerance, on: 'abs', pass: maxAbs <= tolerance };
}

/** The row-by-row form the manifest asks for grad and vjp: one line per row of x_in. */
function perRow(group: string, name: string, actual: Float32Array, reference: Float32Array, rows: number, tolerance: Tolerance): CheckResult[] {
  const per = reference.length / rows;
  return Array.from({ length: rows }, (_, r) =>
    withinTolerance(group, `${name} row ${r}`, actual.subarray(r * per, (r + 1) * per), reference.subarray(r * per, (r + 1) * per), tolerance));
}

/** LPIPS(x_in, init), its parts and the VJP with a cotangent v: the graph every case runs. */
function caseGraph(model: LpipsModel, xShape: readonly number[], initShape: readonly number[]): Graph {
  const g = new Graph('lpips-conformance');
  const x = g.input('x_in', 'float32', xShape);
  const out = lpips(model, x, g.input('init', 'float32', initShape));
  g.output(out.xScaled, 'x_in_scaled');
  g.output(out.initScaled, 'init_scaled');
  out.xTaps.forEach((t, l) => g.output(t, `feat.${TAP_NAMES[l]}`));
  g.output(stackLayers(out.perLayer), 'per_layer');
  g.output(out.total, 'lpips');
  const [vjp] = grad([out.total], [x], [g.input('cotangent', 'float32', out.total.shape)]);
  g.output(vjp!, 'vjp');
  return g;
}

async function checkCase(ctx: GroupContext, label: string, model: LpipsModel, refs: Refs, c: LpipsCase): Promise<CheckResult[]> {
  const { group, settings } = ctx.manifest;
  const tolerances = (settings.tolerances ?? {}) as Readonly<Record<string, Tolerance>>;
  const tolerance = (tensor: string) => tolerances[toleranceKey(tensor)] ?? DEFAULT_TOLERANCE;
  const feed = (name: string): HostTensor => hostTensor('float32', refs.get(`${c.name}.${name}`)!.shape, ref(refs, `${c.name}.${name}`));
  const x = feed('x_in');
  const graph = optimize(caseGraph(model, x.shape, feed('init').shape));
  const off = opsOffWebGpu(graph);
  const results = [exact(group, `${label}: ${c.name} graph ops all on WebGPU (${graph.nodes.length} nodes)`, off.length, off.join(', ') || undefined)];
  const session = await ctx.runtime.createSession(serialize(graph));
  try {
    const withV = await session.run({ x_in: x, init: feed('init'), cotangent: feed('cotangent') });
    // The seed's gradient is the VJP with every row's cotangent init_scale: d(init_scale · Σ LPIPS)/dx.
    const scale = Number(settings.init_scale);
    const withScale = await session.run({ x_in: x, init: feed('init'), cotangent: hostTensor('float32', withV.lpips!.shape, new Float32Array(withV.lpips!.data.length).fill(scale)) });
    const rows = x.shape[0]!;
    for (const tensor of c.tensors.map((t) => t.slice(c.name.length + 1))) {
      const name = `${label}: ${c.name}.${tensor}`;
      const reference = ref(refs, `${c.name}.${tensor}`);
      if (tensor === 'grad') results.push(...perRow(group, name, withScale.vjp!.data as Float32Array, reference, rows, tolerance(tensor)));
      else if (tensor === 'vjp') results.push(...perRow(group, name, withV.vjp!.data as Float32Array, reference, rows, tolerance(tensor)));
      else if (withV[tensor]) results.push(withinTolerance(group, name, withV[tensor].data as Float32Array, reference, tolerance(tensor)));
      else if (!INPUTS.has(tensor)) results.push(cannotInterpret(group, { what: name, why: 'not an input, output, grad or vjp of LPIPS' }));
    }
  } finally {
    await session.dispose();
  }
  return results;
}

const tensorNames = (source: ByteSource) => openCheckpoint(source).then((ck) => new Set(ck.tensors.keys()));

/**
 * The LPIPS group: each VGG16 trunk file the manifest lists (legacy and zip) is paired with the
 * linear-weights file whose widths fit it, loaded as the studio loads torchvision's and LPIPS's
 * files, and every case of settings.cases runs: scaled inputs, features, per-tap distances, LPIPS,
 * the seed's init-term gradient and the VJP, against the manifest's tolerances.
 */
export async function* lpipsModel(ctx: GroupContext): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const cases = (ctx.manifest.settings.cases ?? []) as readonly LpipsCase[];
  const files = Object.keys(ctx.manifest.files).filter(isCheckpointFile);
  const kinds = await Promise.all(files.map(async (file) => ({ file, names: await ctx.dir.withSource(ctx.path(file), tensorNames) })));
  const trunks = kinds.filter((k) => k.names.has('features.0.weight')).map((k) => k.file);
  const lins = kinds.filter((k) => k.names.has('lin0.model.1.weight')).map((k) => k.file);
  if (trunks.length === 0 || lins.length === 0) yield exact(group, 'LPIPS files', Infinity, `the manifest lists ${trunks.length} VGG16 trunk and ${lins.length} linear-weight files`);
  yield* withRefs(ctx, async function* (refs) {
    for (const trunk of trunks) {
      yield* await guardMany(group, `${trunk}: LPIPS matches references`, async () => {
        const model = await pairedModel(ctx, trunk, lins);
        const results: CheckResult[] = [];
        for (const c of cases) results.push(...(await checkCase(ctx, `${trunk} + ${model.lin}`, model.model, refs, c)));
        return results;
      });
    }
  });
}

/** The first linear-weights file whose widths fit the trunk (a loader refusal names the mismatch when none does). */
async function pairedModel(ctx: GroupContext, trunk: string, lins: readonly string[]): Promise<{ model: LpipsModel; lin: string }> {
  let refusal: unknown;
  for (const lin of lins) {
    try {
      const model = await ctx.dir.withSource(ctx.path(trunk), (t) => ctx.dir.withSource(ctx.path(lin), (l) => loadLpips(t, l, { trunk, lin })));
      return { model, lin };
    } catch (err) {
      refusal = err;
    }
  }
  throw refusal;
}
