import { CacheError } from '../errors';
import { CONTAINERS, KEY_NAMES, MANIFEST_FORMAT, type FileRole, type FileSource, type GithubAsset, type ModelEntry, type ModelFile, type ModelManifest } from './manifest';

/** Bounds that keep a hostile pack from asking for thousands of downloads. */
export const MANIFEST_LIMITS = { models: 64, filesPerModel: 32, sourcesPerFile: 8, text: 500 } as const;

const KINDS = ['diffusion', 'clip', 'swinir', 'lpips'];
const FORMATS = ['checkpoint', 'onnx'];
const ROLES: readonly FileRole[] = ['weights', 'head', 'config', 'model-json', 'onnx', 'onnx-data'];
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** File names become record keys and the names ONNX external data is looked up by: no paths. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const GITHUB_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

type Raw = Record<string, unknown>;

/** Collects every problem with its path (`models[1].files[0].sha256`) so one message lists them all. */
class Issues {
  readonly list: string[] = [];
  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }
}

/** `models[0].files` + `name`; the root's fields are named bare. */
const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : JSON.stringify(v) ?? String(v));
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(issues: Issues, raw: Raw, key: string, path: string, required: boolean): string | undefined {
  const v = raw[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > MANIFEST_LIMITS.text) {
    issues.add(at(path, key), `must be a non-empty string of at most ${MANIFEST_LIMITS.text} characters (got ${show(v)})`);
    return undefined;
  }
  return v;
}

function noUnknownKeys(issues: Issues, raw: Raw, known: readonly string[], path: string): void {
  for (const key of Object.keys(raw)) if (!known.includes(key)) issues.add(at(path, key), 'is not a known field (a typo?)');
}

/**
 * Resolves a file URL against the manifest's own URL, as a browser would for `<a href>`: absolute
 * http(s) stays, '/x' is taken from the base's origin, 'x' from the base's folder. Other schemes
 * (javascript:, data:, file:) are refused.
 */
export function resolveUrl(ref: string, base: string | undefined): string | undefined {
  if (/^https?:\/\//i.test(ref)) return ref;
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//') || !base) return undefined;
  const m = /^(https?:\/\/[^/?#]+)([^?#]*)/i.exec(base);
  if (!m) return undefined;
  if (ref.startsWith('/')) return m[1] + ref;
  const path = m[2] || '/';
  return m[1] + path.slice(0, path.lastIndexOf('/') + 1) + ref;
}

function checkUrl(issues: Issues, raw: Raw, path: string, base: string | undefined): string | undefined {
  const ref = text(issues, raw, 'url', path, true);
  const url = ref === undefined ? undefined : resolveUrl(ref, base);
  if (ref !== undefined && url === undefined) issues.add(`${path}.url`, `must be an http(s) URL${base ? ' or a path relative to the manifest' : ''} (got ${show(ref)})`);
  return url;
}

/** `size` and `sha256`, checked, as the fields to spread into a file or a source. */
function checkDigest(issues: Issues, raw: Raw, path: string): { size?: number; sha256?: string } {
  const { size, sha256 } = raw;
  const sizeOk = Number.isSafeInteger(size) && (size as number) >= 0;
  const shaOk = typeof sha256 === 'string' && SHA256.test(sha256);
  if (size !== undefined && !sizeOk) issues.add(`${path}.size`, `must be a whole number of bytes (got ${show(size)})`);
  if (sha256 !== undefined && !shaOk) issues.add(`${path}.sha256`, `must be 64 hex digits (got ${show(sha256)})`);
  return { ...(sizeOk ? { size: size as number } : {}), ...(shaOk ? { sha256: (sha256 as string).toLowerCase() } : {}) };
}

function checkGithub(issues: Issues, raw: unknown, path: string): GithubAsset | undefined {
  if (!isObject(raw)) return void issues.add(path, 'must be an object with repo (owner/name), tag and asset');
  noUnknownKeys(issues, raw, ['repo', 'tag', 'asset'], path);
  const [repo, tag, asset] = (['repo', 'tag', 'asset'] as const).map((k) => text(issues, raw, k, path, true));
  if (repo !== undefined && !GITHUB_REPO.test(repo)) issues.add(`${path}.repo`, `must be owner/name (got ${show(repo)})`);
  return repo !== undefined && GITHUB_REPO.test(repo) && tag !== undefined && asset !== undefined ? { repo, tag, asset } : undefined;
}

function checkSource(issues: Issues, raw: unknown, path: string, base: string | undefined): FileSource | undefined {
  if (!isObject(raw)) return void issues.add(path, 'must be an object');
  noUnknownKeys(issues, raw, ['url', 'github', 'container', 'keys', 'size', 'sha256'], path);
  const url = checkUrl(issues, raw, path, base);
  const github = raw.github === undefined ? undefined : checkGithub(issues, raw.github, `${path}.github`);
  const { container, keys } = raw;
  if (container !== undefined && !CONTAINERS.includes(container as never)) issues.add(`${path}.container`, `must be one of ${CONTAINERS.join(', ')} (got ${show(container)})`);
  if (keys !== undefined && !KEY_NAMES.includes(keys as never)) issues.add(`${path}.keys`, `must be one of ${KEY_NAMES.join(', ')} (got ${show(keys)})`);
  const digest = checkDigest(issues, raw, path);
  if (url === undefined || (raw.github !== undefined && !github)) return undefined;
  return {
    url, ...(github ? { github } : {}), ...(container !== undefined ? { container: container as NonNullable<FileSource['container']> } : {}),
    ...(keys !== undefined ? { keys: keys as NonNullable<FileSource['keys']> } : {}), ...digest,
  };
}

function checkSources(issues: Issues, raw: Raw, path: string, base: string | undefined): readonly FileSource[] | undefined {
  const { sources } = raw;
  if (sources === undefined) return undefined;
  if (!Array.isArray(sources) || sources.length === 0 || sources.length > MANIFEST_LIMITS.sourcesPerFile) {
    return void issues.add(`${path}.sources`, `must be a list of 1 to ${MANIFEST_LIMITS.sourcesPerFile} sources`);
  }
  if (raw.size !== undefined || raw.sha256 !== undefined) issues.add(path, 'with sources, give size and sha256 per source (the bytes differ between containers)');
  const checked = sources.map((src, i) => checkSource(issues, src, `${path}.sources[${i}]`, base));
  return checked.every((c) => c !== undefined) ? checked : undefined;
}

function checkFile(issues: Issues, raw: unknown, path: string, base: string | undefined): ModelFile | undefined {
  if (!isObject(raw)) return void issues.add(path, 'must be an object');
  noUnknownKeys(issues, raw, ['name', 'role', 'url', 'size', 'sha256', 'sources', 'keep'], path);
  const name = text(issues, raw, 'name', path, true);
  if (name !== undefined && (!FILE_NAME.test(name) || name.includes('..'))) issues.add(`${path}.name`, `must be a plain file name (letters, digits, '.', '_', '-'), got ${show(name)}`);
  const role = raw.role as FileRole;
  if (!ROLES.includes(role)) issues.add(`${path}.role`, `must be one of ${ROLES.join(', ')} (got ${show(raw.role)})`);
  const url = checkUrl(issues, raw, path, base);
  const digest = checkDigest(issues, raw, path);
  const sources = checkSources(issues, raw, path, base);
  const keep = checkKeep(issues, raw, path);
  if (name === undefined || url === undefined || !ROLES.includes(role) || (raw.sources !== undefined && !sources) || (raw.keep !== undefined && !keep)) return undefined;
  return { name, role, url, ...digest, ...(sources ? { sources } : {}), ...(keep ? { keep } : {}) };
}

/** `keep`: 1 to 16 tensor-name prefixes of a checkpoint. */
function checkKeep(issues: Issues, raw: Raw, path: string): readonly string[] | undefined {
  const { keep } = raw;
  if (keep === undefined) return undefined;
  const ok = Array.isArray(keep) && keep.length > 0 && keep.length <= 16 && keep.every((p) => typeof p === 'string' && p.length > 0 && p.length <= MANIFEST_LIMITS.text);
  if (!ok) return void issues.add(`${path}.keep`, `must be a list of 1 to 16 tensor-name prefixes (got ${show(keep)})`);
  return keep as string[];
}

/** Which files a model of each format must have: converted models are model.json plus ONNX (and CLIP's BPE vocabulary as its config). */
function checkFileSet(issues: Issues, { format, kind }: { format: string; kind: unknown }, files: readonly ModelFile[], path: string): void {
  const count = (role: FileRole) => files.filter((f) => f.role === role).length;
  const names = files.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) issues.add(`${path}.files`, `name ${show(dup)} is used twice`);
  if (format === 'onnx' && (count('model-json') !== 1 || count('onnx') < 1 || count('weights') > 0 || count('config') > (kind === 'clip' ? 1 : 0))) {
    issues.add(`${path}.files`, "a converted ('onnx') model needs exactly one model-json file, at least one onnx file, no weights file, and a config file only for CLIP (its BPE vocabulary)");
  }
  if (format === 'checkpoint' && (count('weights') !== 1 || count('config') > 1 || count('head') !== (kind === 'lpips' ? 1 : 0) || files.length !== count('weights') + count('config') + count('head'))) {
    issues.add(`${path}.files`, "a 'checkpoint' model needs exactly one weights file and at most one config file, and LPIPS one head file (its linear layers) beside them");
  }
  if (format === 'onnx' && kind === 'lpips') issues.add(`${path}.format`, "LPIPS comes as its checkpoints ('checkpoint'): packs carry no LPIPS graphs");
  if (format === 'onnx' && count('head') > 0) issues.add(`${path}.files`, "a converted ('onnx') model has no head file");
}

function checkModel(issues: Issues, raw: unknown, path: string, base: string | undefined): ModelEntry | undefined {
  if (!isObject(raw)) return void issues.add(path, 'must be an object');
  noUnknownKeys(issues, raw, ['id', 'kind', 'label', 'format', 'files', 'source', 'page', 'notes'], path);
  const id = text(issues, raw, 'id', path, true);
  if (id !== undefined && !ID.test(id)) issues.add(`${path}.id`, `must be lowercase letters, digits, '.', '_', '-' (got ${show(id)})`);
  const label = text(issues, raw, 'label', path, true);
  const source = text(issues, raw, 'source', path, false);
  const notes = text(issues, raw, 'notes', path, false);
  const pageRef = text(issues, raw, 'page', path, false);
  const page = pageRef === undefined ? undefined : resolveUrl(pageRef, undefined);
  if (pageRef !== undefined && page === undefined) issues.add(`${path}.page`, `must be an absolute http(s) URL (got ${show(pageRef)})`);
  const { kind, format, files } = raw;
  if (!KINDS.includes(kind as string)) issues.add(`${path}.kind`, `must be one of ${KINDS.join(', ')} (got ${show(kind)})`);
  if (!FORMATS.includes(format as string)) issues.add(`${path}.format`, `must be one of ${FORMATS.join(', ')} (got ${show(format)})`);
  if (!Array.isArray(files) || files.length === 0 || files.length > MANIFEST_LIMITS.filesPerModel) {
    return void issues.add(`${path}.files`, `must be a list of 1 to ${MANIFEST_LIMITS.filesPerModel} files`);
  }
  const checked = files.map((f, i) => checkFile(issues, f, `${path}.files[${i}]`, base));
  const good = checked.filter((f): f is ModelFile => f !== undefined);
  checkFileSet(issues, { format: format as string, kind }, good, path);
  if (id === undefined || label === undefined || good.length !== files.length) return undefined;
  return { id, kind: kind as ModelEntry['kind'], label, format: format as ModelEntry['format'], files: good, ...(source ? { source } : {}), ...(page ? { page } : {}), ...(notes ? { notes } : {}) };
}

/**
 * Checks a manifest (ours, or a pack a user points at) and returns it typed, with relative URLs
 * resolved against `baseUrl` and digests lowercased. Throws one CacheError listing every problem.
 */
export function validateManifest(raw: unknown, where: string, baseUrl?: string): ModelManifest {
  const issues = new Issues();
  const models = checkRoot(issues, raw);
  const checked = models.map((m, i) => checkModel(issues, m, `models[${i}]`, baseUrl));
  const ids = checked.map((m) => m?.id);
  ids.forEach((id, i) => id !== undefined && ids.indexOf(id) !== i && issues.add(`models[${i}].id`, `${show(id)} is used twice`));
  if (issues.list.length > 0) {
    throw new CacheError(`the model manifest ${where} is not valid:\n${issues.list.map((s) => `  - ${s}`).join('\n')}`);
  }
  return { format: MANIFEST_FORMAT, version: 1, name: (raw as Raw).name as string, models: checked as ModelEntry[] };
}

function checkRoot(issues: Issues, raw: unknown): readonly unknown[] {
  if (!isObject(raw)) {
    issues.add('manifest', 'must be a JSON object');
    return [];
  }
  noUnknownKeys(issues, raw, ['format', 'version', 'name', 'models'], '');
  if (raw.format !== MANIFEST_FORMAT) issues.add('format', `must be ${show(MANIFEST_FORMAT)} (got ${show(raw.format)})`);
  if (raw.version !== 1) issues.add('version', `must be 1 (got ${show(raw.version)}); this version of the studio reads version 1`);
  text(issues, raw, 'name', '', true);
  const { models } = raw;
  if (!Array.isArray(models) || models.length === 0 || models.length > MANIFEST_LIMITS.models) {
    issues.add('models', `must be a list of 1 to ${MANIFEST_LIMITS.models} models`);
    return [];
  }
  return models;
}
