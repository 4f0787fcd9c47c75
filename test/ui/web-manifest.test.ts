import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../src/png';

const ROOT = resolve(import.meta.dirname, '../..');
const publicFile = (path: string) => resolve(ROOT, 'public', path.replace(/^\//, ''));

interface Icon {
  readonly src: string;
  readonly sizes: string;
  readonly type: string;
  readonly purpose: string;
}

const manifest = JSON.parse(readFileSync(publicFile('manifest.webmanifest'), 'utf8')) as {
  name: string; short_name: string; display: string; start_url: string; theme_color: string; icons: Icon[];
};

describe('public/manifest.webmanifest', () => {
  it('has what an installable app needs: names, standalone display, a start URL, a theme colour', () => {
    expect(manifest.name).toBe('CLIP-guided diffusion studio');
    // Launchers cut a name under an icon after about 12 characters.
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
    expect(manifest.display).toBe('standalone');
    expect(manifest.start_url).toBeTruthy();
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('lists PNG icons of 192 and 512 pixels, a maskable one, each file of the size it declares', () => {
    const pngs = manifest.icons.filter((i) => i.type === 'image/png');
    expect(pngs.map((i) => `${i.sizes} ${i.purpose}`).sort()).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
    for (const icon of pngs) {
      const png = decodePng(new Uint8Array(readFileSync(publicFile(icon.src))));
      expect(`${png.width}x${png.height}`).toBe(icon.sizes);
    }
    // A maskable icon is opaque to its edges: the platform's mask, not transparency, gives it its shape.
    const maskable = decodePng(new Uint8Array(readFileSync(publicFile(pngs.find((i) => i.purpose === 'maskable')!.src))));
    expect(maskable.data.every((v, i) => i % 4 !== 3 || v === 255)).toBe(true);
    const rounded = decodePng(new Uint8Array(readFileSync(publicFile(pngs.find((i) => i.purpose === 'any')!.src))));
    expect(rounded.data[3]).toBe(0);
  });

  it('is linked from index.html, with the favicon and the touch icon, all present in public/', () => {
    const html = readFileSync(resolve(ROOT, 'index.html'), 'utf8');
    const hrefs = [...html.matchAll(/<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs).toEqual(expect.arrayContaining(['/manifest.webmanifest', '/favicon.svg', '/icons/apple-touch-icon-180.png']));
    for (const href of [...hrefs, ...manifest.icons.map((i) => i.src)]) expect(existsSync(publicFile(href)), href).toBe(true);
  });
});
