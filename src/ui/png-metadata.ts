import type { Backend } from '../runtime';
import type { Settings } from './store';

/** Keyword of our JSON settings chunk; dropping the PNG back on the page will restore them. */
export const SETTINGS_KEYWORD = 'clip-diffusion-web';

/**
 * The text entries a generated PNG carries: A1111's `parameters` layout (prompt, then a line of
 * `Key: value` pairs), which other tools read, and our own settings as JSON.
 */
export function pngText(settings: Settings, backend: Backend, size: { width: number; height: number }): Record<string, string> {
  const parameters = `${settings.prompt}\nSteps: ${settings.steps}, Seed: ${settings.seed}, Size: ${size.width}x${size.height}, Model: skeleton, Backend: ${backend.ep}`;
  const json = JSON.stringify({ version: 1, model: 'skeleton', ...settings, width: size.width, height: size.height, backend: backend.ep });
  return { parameters, [SETTINGS_KEYWORD]: json };
}
