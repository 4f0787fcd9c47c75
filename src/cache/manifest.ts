/**
 * The models the studio can fetch, as a manifest. The same shape describes a user's pack of
 * pre-converted ONNX files (format 'onnx', one model.json per model), given by URL; see
 * manifest-validate.ts for the rules and pack.ts for fetching one.
 *
 * Sizes and SHA-256 digests are filled in only where a source states them; a file without one is
 * verified by the size its server announces.
 */
export const MANIFEST_FORMAT = 'clip-diffusion-web/models';

export type ModelKind = 'diffusion' | 'clip' | 'swinir';
/** 'checkpoint': original PyTorch files, converted in the browser; 'onnx': converted files plus model.json. */
export type ModelFormat = 'checkpoint' | 'onnx';
export type FileRole = 'weights' | 'config' | 'model-json' | 'onnx' | 'onnx-data';

export interface ModelFile {
  /** The file's name (upstream's, for checkpoints); letters, digits, '.', '_' and '-'. */
  readonly name: string;
  readonly role: FileRole;
  /** Absolute http(s) URL (relative ones in a pack are resolved against the pack's URL). */
  readonly url: string;
  readonly size?: number;
  /** Lowercase hex. */
  readonly sha256?: string;
}

export interface ModelEntry {
  readonly id: string;
  readonly kind: ModelKind;
  readonly label: string;
  readonly format: ModelFormat;
  readonly files: readonly ModelFile[];
  /** Where the URLs and digests come from. */
  readonly source?: string;
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
/** openai/CLIP clip.py `_MODELS`: the path segment before the file name is the file's SHA-256 (`_download` checks it). */
const CLIP_MODELS = 'https://openaipublic.azureedge.net/clip/models/';
const SWINIR_RELEASE = 'https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/';
/**
 * CLIP's BPE vocabulary, read at run time (never shipped with the app), pinned to openai/CLIP
 * d05afc4; size and SHA-256 are those of that file (the fixtures hold a byte-identical copy).
 */
const CLIP_VOCAB = {
  name: 'bpe_simple_vocab_16e6.txt.gz',
  role: 'config',
  url: 'https://raw.githubusercontent.com/openai/CLIP/d05afc436d78f1c48dc0dbf8e5980a9d471f35f6/clip/bpe_simple_vocab_16e6.txt.gz',
  size: 1356917,
  sha256: '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a',
} as const;

const clip = (id: string, label: string, sha256: string, name: string): ModelEntry => ({
  id, kind: 'clip', label, format: 'checkpoint',
  files: [{ name, role: 'weights', url: `${CLIP_MODELS}${sha256}/${name}`, sha256 }, CLIP_VOCAB],
  source: 'openai/CLIP clip/clip.py _MODELS (the SHA-256 is the URL path segment)',
});

const swinir = (id: string, label: string, name: string): ModelEntry => ({
  id, kind: 'swinir', label, format: 'checkpoint',
  files: [{ name, role: 'weights', url: SWINIR_RELEASE + name }],
  source: 'clip-diffusion-art pretrained_models/README.md; JingyunLiang/SwinIR release v0.0 (seed-spec §10)',
});

const DIFFUSION_MODELS: readonly ModelEntry[] = [
  {
    id: 'clip-diffusion-art-256', kind: 'diffusion', format: 'checkpoint',
    label: 'CLIP Diffusion Art 256×256 (fine-tuned on public-domain artworks; the seed default)',
    files: [
      { name: '256x256_clip_diffusion_art.pt', role: 'weights', url: 'https://api.wandb.ai/files/sreevishnu-damodaran/clip_diffusion_art/29bag3br/256x256_clip_diffusion_art.pt' },
      { name: '256x256_clip_diffusion_art.yaml', role: 'config', url: `${SEED_CONFIGS}256x256_clip_diffusion_art.yaml` },
    ],
    source: 'clip-diffusion-art sample.py default checkpoint and pretrained_models/README.md (seed-spec §1, §11.2)',
  },
  {
    id: 'openai-256-uncond', kind: 'diffusion', format: 'checkpoint',
    label: 'OpenAI 256×256 unconditional ImageNet (guided-diffusion)',
    files: [
      {
        name: '256x256_diffusion_uncond.pt', role: 'weights', url: 'https://openaipublic.blob.core.windows.net/diffusion/jul-2021/256x256_diffusion_uncond.pt',
        sha256: '983e3de6f95c88c81b2ca7ebb2c217933be1973b1ff058776b970f901584613a',
      },
      { name: '256x256_diffusion_uncond.yaml', role: 'config', url: `${SEED_CONFIGS}256x256_diffusion_uncond.yaml` },
    ],
    source: "openai/guided-diffusion README (seed-spec §11.5-11.6); SHA-256 from Disco Diffusion's model_256_SHA check",
  },
  {
    id: 'lsun-bedroom-100m', kind: 'diffusion', format: 'checkpoint',
    label: 'OpenAI LSUN bedroom 100M (improved-diffusion; the base the art model was fine-tuned from)',
    files: [{ name: 'lsun_uncond_100M_1200K_bs128.pt', role: 'weights', url: 'https://openaipublic.blob.core.windows.net/diffusion/march-2021/lsun_uncond_100M_1200K_bs128.pt' }],
    source: 'openai/improved-diffusion README "LSUN bedroom model (lr=1e-4)" (seed-spec §11.6)',
    notes: 'No yaml upstream: the art architecture with rescale_timesteps and rescale_learned_sigmas False (seed-spec §11.6).',
  },
];

export const BUILTIN_MANIFEST: ModelManifest = {
  format: MANIFEST_FORMAT,
  version: 1,
  name: 'Original models',
  models: [
    ...DIFFUSION_MODELS,
    clip('clip-vit-b16', 'CLIP ViT-B/16 (the seed default)', '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f', 'ViT-B-16.pt'),
    clip('clip-vit-b32', 'CLIP ViT-B/32', '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af', 'ViT-B-32.pt'),
    clip('clip-vit-l14', 'CLIP ViT-L/14', 'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836', 'ViT-L-14.pt'),
    swinir('swinir-m-x4', 'SwinIR-M real-world ×4 (GAN)', '003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth'),
    swinir('swinir-l-x4', 'SwinIR-L real-world ×4 (GAN)', '003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth'),
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
