import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Converter } from '../../models/convert';
import { convertSwinIR } from '../../models/swinir/index';
import { convertClip } from '../../models/clip/index';
import { convertUnet } from '../../models/unet/index';
import { withFileSource } from '../file-source';
import { fileSha256 } from '../graph-store';

/** Model kinds and their converters: adding a kind is one line here. */
const CONVERTERS: Readonly<Record<string, Converter>> = {
  unet: convertUnet,
  clip: convertClip,
  swinir: convertSwinIR,
};

export const summary = `convert a checkpoint to ONNX graphs + model.json (kinds: ${Object.keys(CONVERTERS).join(', ')})`;
export const usage = `npm run cli -- convert <${Object.keys(CONVERTERS).join('|')}> --checkpoint F --out DIR [--fp16 | --fp32] [kind options]
  unet: --model_config Y.yaml | --preset NAME | guided-diffusion flags (--num_channels 128 ...); --batch N, --height H, --width W
  swinir: [--large_sr] [--tile T] (one T×T tile graph, T a multiple of 8; default 264, the seed's 256×256 padded)`;

/** Takes the options every kind shares out of the argument list; the rest belong to the kind. */
function commonOptions(args: readonly string[]) {
  const rest: string[] = [];
  const common: { checkpoint?: string | undefined; out?: string | undefined; fp16?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--checkpoint') common.checkpoint = args[++i];
    else if (a === '--out') common.out = args[++i];
    else if (a === '--fp16' || a === '--fp32') common.fp16 = a === '--fp16';
    else rest.push(a);
  }
  return { ...common, rest };
}

export async function run(args: readonly string[]): Promise<number> {
  const [kind, ...tail] = args;
  const convert = kind === undefined ? undefined : CONVERTERS[kind];
  const { checkpoint, out, fp16, rest } = commonOptions(tail);
  if (!convert || !checkpoint || !out) {
    console.error(`usage: ${usage}`);
    return 2;
  }
  const digest = await fileSha256(checkpoint);
  const model = await withFileSource(checkpoint, (source) =>
    convert({ source, sourceName: basename(checkpoint), sourceSha256: digest, args: rest, readText: (p) => readFile(p, 'utf8'), ...(fp16 === undefined ? {} : { fp16 }) }));
  for (const file of model.files) {
    await mkdir(dirname(join(out, file.path)), { recursive: true });
    await writeFile(join(out, file.path), file.data);
    console.log(`wrote ${join(out, file.path)} (${file.data.byteLength} bytes)`);
  }
  await writeFile(join(out, 'model.json'), `${JSON.stringify(model.manifest, null, 2)}\n`);
  console.log(`wrote ${join(out, 'model.json')}`);
  return 0;
}
