import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_MANIFEST, fetchPack, findModel, loadPack, MANIFEST_FORMAT, memoryStore, resolveUrl, sourcesOf, validateManifest, withOwnFiles, type FileSource } from '../../src/cache';
import { startServer, type TestServer } from './helpers/server';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const pack = {
  format: MANIFEST_FORMAT,
  version: 1,
  name: 'My converted models',
  models: [
    {
      id: 'art-unet-fp16', kind: 'diffusion', label: 'Art UNet fp16', format: 'onnx',
      files: [
        { name: 'model.json', role: 'model-json', url: 'unet/model.json' },
        { name: 'unet.onnx', role: 'onnx', url: '/packs/unet/unet.onnx', size: 1234, sha256: 'AB'.repeat(32) },
        { name: 'unet.onnx_data', role: 'onnx-data', url: 'https://cdn.example/unet.onnx_data' },
      ],
    },
  ],
};

describe('the built-in manifest', () => {
  it('passes its own validation unchanged', () => {
    expect(validateManifest(JSON.parse(JSON.stringify(BUILTIN_MANIFEST)), 'built-in')).toEqual(BUILTIN_MANIFEST);
  });

  it('lists the seed checkpoint with its yaml, the OpenAI and LSUN bases, the eight CLIPs, two SwinIRs and LPIPS-VGG', () => {
    const names = BUILTIN_MANIFEST.models.map((m) => [m.id, m.files.map((f) => f.name)]);
    expect(names).toEqual([
      ['clip-diffusion-art-256', ['256x256_clip_diffusion_art.pt', '256x256_clip_diffusion_art.yaml']],
      ['openai-256-uncond', ['256x256_diffusion_uncond.pt', '256x256_diffusion_uncond.yaml']],
      ['lsun-bedroom-100m', ['lsun_uncond_100M_1200K_bs128.pt']],
      ['clip-vit-b16', ['ViT-B-16.pt', 'bpe_simple_vocab_16e6.txt.gz']],
      ['clip-vit-b32', ['ViT-B-32.pt', 'bpe_simple_vocab_16e6.txt.gz']],
      ['clip-vit-l14', ['ViT-L-14.pt', 'bpe_simple_vocab_16e6.txt.gz']],
      ...['RN50', 'RN101', 'RN50x4', 'RN50x16', 'RN50x64'].map((n) => [`clip-${n.toLowerCase()}`, [`${n}.pt`, 'bpe_simple_vocab_16e6.txt.gz']]),
      ['swinir-m-x4', ['003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth']],
      ['swinir-l-x4', ['003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth']],
      ['lpips-vgg', ['vgg16-397923af.pth', 'vgg.pth']],
    ]);
  });

  it("gives torchvision's VGG16 a SHA-256 that starts with the hash in its name (what torch.hub checks), and keeps only LPIPS's features of it", () => {
    const [vgg, lin] = findModel(BUILTIN_MANIFEST, 'lpips-vgg')!.files;
    for (const s of sourcesOf(vgg!)) expect([s.size, s.sha256!.slice(0, 8)]).toEqual([553433881, /-([0-9a-f]{8})\.pth$/.exec(vgg!.url)![1]]);
    expect(vgg!.keep).toEqual(['features.']);
    expect([lin!.role, lin!.size, lin!.url]).toEqual(['head', 7289, expect.stringContaining('/082bb24f84c091ea94de2867d34c4544f68e0963/lpips/weights/v0.1/vgg.pth')]);
  });

  it("gives each CLIP file's upstream source the SHA-256 its URL embeds (what openai/CLIP _download checks), and every TorchScript mirror the same bytes", () => {
    for (const model of BUILTIN_MANIFEST.models.filter((m) => m.kind === 'clip')) {
      const [file] = model.files;
      const upstream = file!.sources!.find((s) => s.url === file!.url)!;
      expect(upstream.sha256).toBe(file!.url.split('/').at(-2));
      for (const mirror of file!.sources!.filter((s) => s.container === 'torchscript')) expect([mirror.size, mirror.sha256]).toEqual([upstream.size, upstream.sha256]);
    }
  });

  it('has, for every file, a source a page can fetch by the public record, except the two models only their own hosts serve', () => {
    // Hugging Face and raw.githubusercontent.com send CORS; GitHub release assets do through the API.
    const pageCanFetch = (s: FileSource) => /^https:\/\/(huggingface\.co|raw\.githubusercontent\.com)\//.test(s.url) || s.github !== undefined;
    const without = BUILTIN_MANIFEST.models.filter((m) => m.files.some((f) => !sourcesOf(f).some(pageCanFetch))).map((m) => m.id);
    expect(without).toEqual(['clip-diffusion-art-256', 'lsun-bedroom-100m']);
    // Pinned: every Hugging Face source names a commit or says it follows main.
    const hfSources = BUILTIN_MANIFEST.models.flatMap((m) => m.files.flatMap(sourcesOf)).filter((s) => s.url.startsWith('https://huggingface.co/'));
    for (const s of hfSources) expect(s.url).toMatch(/\/resolve\/([0-9a-f]{40}|main)\//);
  });

  it('names every file after its URL', () => {
    for (const file of BUILTIN_MANIFEST.models.flatMap((m) => m.files)) expect(file.url.endsWith(`/${file.name}`)).toBe(true);
  });
});

describe('withOwnFiles', () => {
  it("leaves out the files another model lists: deleting ViT-B/16 keeps the BPE vocabulary B/32 and L/14 use", () => {
    const b16 = findModel(BUILTIN_MANIFEST, 'clip-vit-b16')!;
    expect(b16.files.map((f) => f.name)).toEqual(['ViT-B-16.pt', 'bpe_simple_vocab_16e6.txt.gz']);
    expect(withOwnFiles(BUILTIN_MANIFEST, b16).files.map((f) => f.name)).toEqual(['ViT-B-16.pt']);
    const unet = findModel(BUILTIN_MANIFEST, 'clip-diffusion-art-256')!;
    expect(withOwnFiles(BUILTIN_MANIFEST, unet).files).toEqual(unet.files);
  });
});

describe('validateManifest', () => {
  it('resolves relative URLs against the pack URL and lowercases digests', () => {
    const m = validateManifest(pack, 'test', 'https://host.example/packs/pack.json?v=2');
    expect(m.models[0]!.files.map((f) => f.url)).toEqual([
      'https://host.example/packs/unet/model.json', 'https://host.example/packs/unet/unet.onnx', 'https://cdn.example/unet.onnx_data',
    ]);
    expect(m.models[0]!.files[1]!.sha256).toBe('ab'.repeat(32));
  });

  it("takes a converted CLIP's BPE vocabulary as its config file, and no config for other converted kinds", () => {
    const converted = (kind: string) => ({
      ...pack,
      models: [{
        id: 'm', kind, label: 'M', format: 'onnx',
        files: [{ name: 'model.json', role: 'model-json', url: 'm/model.json' }, { name: 'x.onnx', role: 'onnx', url: 'm/x.onnx' }, { name: 'bpe_simple_vocab_16e6.txt.gz', role: 'config', url: 'bpe.gz' }],
      }],
    });
    expect(validateManifest(converted('clip'), 'test', 'https://host.example/p.json').models[0]!.files[2]!.url).toBe('https://host.example/bpe.gz');
    expect(() => validateManifest(converted('diffusion'), 'test', 'https://host.example/p.json')).toThrow(/a config file only for CLIP/);
  });

  it('lists every problem with its path', () => {
    const bad = {
      format: 'other', version: 2, name: 'x', extra: 1,
      models: [
        { id: 'Bad Id', kind: 'vae', label: 'L', format: 'onnx', files: [{ name: '../etc/passwd', role: 'onnx', url: 'javascript:alert(1)', size: -1, sha256: 'xyz' }] },
        { id: 'ok', kind: 'clip', label: 'C', format: 'checkpoint', files: [{ name: 'a.pt', role: 'weights', url: 'https://x.example/a.pt', sizee: 3 }] },
      ],
    };
    let message = '';
    try {
      validateManifest(bad, 'from the query');
    } catch (err) {
      expect((err as Error).name).toBe('CacheError');
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('the model manifest from the query is not valid:');
    expect(lines.slice(1)).toEqual([
      '  - extra: is not a known field (a typo?)',
      '  - format: must be "clip-diffusion-web/models" (got "other")',
      '  - version: must be 1 (got 2); this version of the studio reads version 1',
      '  - models[0].id: must be lowercase letters, digits, \'.\', \'_\', \'-\' (got "Bad Id")',
      '  - models[0].kind: must be one of diffusion, clip, swinir, lpips (got "vae")',
      '  - models[0].files[0].name: must be a plain file name (letters, digits, \'.\', \'_\', \'-\'), got "../etc/passwd"',
      '  - models[0].files[0].url: must be an http(s) URL (got "javascript:alert(1)")',
      '  - models[0].files[0].size: must be a whole number of bytes (got -1)',
      '  - models[0].files[0].sha256: must be 64 hex digits (got "xyz")',
      "  - models[0].files: a converted ('onnx') model needs exactly one model-json file, at least one onnx file, no weights file, and a config file only for CLIP (its BPE vocabulary)",
      '  - models[1].files[0].sizee: is not a known field (a typo?)',
    ]);
  });

  it('checks each source of a file, and refuses a file-level digest next to sources', () => {
    const withSources = (sources: unknown, extra: Record<string, unknown> = {}) => ({
      ...pack,
      models: [{ id: 's', kind: 'swinir', label: 'S', format: 'checkpoint', page: 'https://github.com/o/r', files: [{ name: 'w.pth', role: 'weights', url: 'https://up.example/w.pth', sources, ...extra }] }],
    });
    const good = validateManifest(withSources([{ url: 'w.pth', github: { repo: 'o/r', tag: 'v1', asset: 'w.pth' }, container: 'torch', size: 3, sha256: 'CD'.repeat(32) }]), 'test', 'https://m.example/m.json');
    expect(good.models[0]!.page).toBe('https://github.com/o/r');
    expect(good.models[0]!.files[0]!.sources).toEqual([{ url: 'https://m.example/w.pth', github: { repo: 'o/r', tag: 'v1', asset: 'w.pth' }, container: 'torch', size: 3, sha256: 'cd'.repeat(32) }]);
    let message = '';
    try {
      validateManifest(withSources([{ url: 'ftp://x', github: { repo: 'no-slash', tag: 'v1' }, container: 'zip', keys: 'timm', sha: 1 }], { sha256: 'ab'.repeat(32) }), 'test');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').slice(1)).toEqual([
      '  - models[0].files[0]: with sources, give size and sha256 per source (the bytes differ between containers)',
      '  - models[0].files[0].sources[0].sha: is not a known field (a typo?)',
      '  - models[0].files[0].sources[0].url: must be an http(s) URL (got "ftp://x")',
      '  - models[0].files[0].sources[0].github.asset: must be a non-empty string of at most 500 characters (got undefined)',
      '  - models[0].files[0].sources[0].github.repo: must be owner/name (got "no-slash")',
      '  - models[0].files[0].sources[0].container: must be one of torchscript, torch, torch-legacy, safetensors (got "zip")',
      '  - models[0].files[0].sources[0].keys: must be one of transformers-clip (got "timm")',
      "  - models[0].files: a 'checkpoint' model needs exactly one weights file and at most one config file, and LPIPS one head file (its linear layers) beside them",
    ]);
    expect(() => validateManifest(withSources([]), 'test')).toThrow(/sources: must be a list of 1 to 8 sources/);
  });

  it.each([
    ['not an object', [1, 2]],
    ['no models', { format: MANIFEST_FORMAT, version: 1, name: 'n', models: [] }],
    ['a duplicate id', { ...pack, models: [pack.models[0], pack.models[0]] }],
    ['a checkpoint with two weights', { ...pack, models: [{ id: 'a', kind: 'clip', label: 'a', format: 'checkpoint', files: [{ name: 'a', role: 'weights', url: 'https://x/a' }, { name: 'b', role: 'weights', url: 'https://x/b' }] }] }],
    ['relative URLs without a base', pack],
  ])('refuses %s', (_what, raw) => {
    expect(() => validateManifest(raw, 'test')).toThrow(/is not valid/);
  });

  it('resolveUrl follows the browser rules for the cases a pack uses', () => {
    const base = 'https://h.example/a/b/pack.json';
    expect(resolveUrl('c/d.onnx', base)).toBe('https://h.example/a/b/c/d.onnx');
    expect(resolveUrl('/root.onnx', base)).toBe('https://h.example/root.onnx');
    expect(resolveUrl('x.onnx', 'https://h.example')).toBe('https://h.example/x.onnx');
    expect(resolveUrl('HTTP://o.example/x', base)).toBe('HTTP://o.example/x');
    expect(resolveUrl('data:,x', base)).toBeUndefined();
    expect(resolveUrl('//evil.example/x', base)).toBeUndefined();
  });
});

describe('fetchPack', () => {
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('fetches a pack from a URL and resolves its files next to it', async () => {
    server = await startServer({ body: json(pack), contentType: 'application/json' });
    const m = await fetchPack(fetch, server.url);
    expect(m.models[0]!.files[0]!.url).toBe(server.url.replace('model.bin', 'unet/model.json'));
  });

  it.each([
    ['an HTML page', { body: new TextEncoder().encode('<!DOCTYPE html><p>404</p>'), contentType: 'text/plain' }, /web page \(HTML\)/],
    ['text that is not JSON', { body: new TextEncoder().encode('model: yaml'), contentType: 'text/plain' }, /is not a JSON model manifest/],
    ['JSON that is not a manifest', { body: json({ hello: 1 }) }, /is not valid:/],
    ['an error status', { body: json(pack), status: 403 }, /answered HTTP 403/],
    ['something huge', { body: new Uint8Array(2 << 20).fill(0x20) }, /over 1048576 bytes/],
  ])('refuses %s', async (_what, options, message) => {
    server = await startServer(options);
    await expect(fetchPack(fetch, server.url)).rejects.toMatchObject({ name: 'CacheError', message: expect.stringMatching(message) });
  });

  it('refuses a pack URL that is not http(s)', async () => {
    await expect(fetchPack(fetch, 'file:///etc/passwd')).rejects.toThrow(/must start with http/);
  });
});

describe('loadPack', () => {
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('saves the pack it fetched and serves that copy, dated, while the host cannot be reached', async () => {
    const store = memoryStore();
    server = await startServer({ body: json(pack), contentType: 'application/json' });
    const online = await loadPack(fetch, store, server.url, 1_000);
    expect(online.savedAt).toBeUndefined();
    expect(online.manifest.models.map((m) => m.id)).toEqual(['art-unet-fp16']);

    server.configure({ status: 503 });
    expect(await loadPack(fetch, store, server.url, 2_000)).toEqual({ manifest: online.manifest, savedAt: 1_000 });
    const url = server.url;
    await server.close();
    server = undefined;
    // Nothing listens any more: fetch itself rejects, as it does offline.
    expect(await loadPack(fetch, store, url, 3_000)).toEqual({ manifest: online.manifest, savedAt: 1_000 });
  });

  it('uses no saved copy when the host answers with something that is not a pack, or nothing was saved', async () => {
    const store = memoryStore();
    server = await startServer({ body: json(pack), contentType: 'application/json' });
    await loadPack(fetch, store, server.url);
    server.configure({ body: json({ hello: 1 }) });
    await expect(loadPack(fetch, store, server.url)).rejects.toThrow(/is not valid:/);
    server.configure({ status: 503 });
    await expect(loadPack(fetch, memoryStore(), server.url)).rejects.toThrow(/answered HTTP 503/);
  });
});
