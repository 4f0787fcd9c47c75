import { SettingsError } from '../errors';
import { defaultBackendOptions, type BackendOptions } from '../runtime/node';

export const BACKEND_USAGE = '--backend native|wasm (default native: onnxruntime-node; wasm: onnxruntime-web, as the browser runs it) --threads N (default: all cores)';

/**
 * Takes `--backend` and `--threads` (`--name value` or `--name=value`) out of a command line and
 * returns them with the other arguments, in order, for the command's own parser.
 */
export function parseBackendArgs(args: readonly string[]): { options: BackendOptions; rest: string[] } {
  let { backend, threads } = defaultBackendOptions();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i]!.split(/=(.*)/s) as [string, string | undefined];
    if (name !== '--backend' && name !== '--threads') {
      rest.push(args[i]!);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new SettingsError(`${name} needs a value`);
    if (name === '--backend') {
      if (value !== 'native' && value !== 'wasm') throw new SettingsError(`--backend: '${value}' is not one of native, wasm`);
      backend = value;
    } else {
      threads = Number(value);
      if (!Number.isInteger(threads) || threads < 1) throw new SettingsError(`--threads: expected a positive integer, got '${value}'`);
    }
  }
  return { options: { backend, threads }, rest };
}
