/**
 * Draws the studio's icon (noise on the left clearing into a painted sun over a hill: diffusion
 * turning noise into a picture) and writes every file the web manifest and index.html name:
 * public/favicon.svg, and PNGs rasterised by Debian's Chromium at the sizes browsers ask for.
 * Run after changing the design: `npx tsx scripts/render-icons.ts`; the outputs are committed.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const PUBLIC = resolve(import.meta.dirname, '../public');

/** Seeded dots, denser to the left: a fixed picture, so the files only change with the design. */
function noiseDots(): string {
  let state = 7;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const dots: string[] = [];
  for (let i = 0; i < 90; i++) {
    const x = 40 + next() * 300;
    const y = 40 + next() * 300;
    if (next() > 1.15 - x / 340) continue;
    const shade = Math.round(150 + next() * 105);
    dots.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="14" height="14" rx="3" fill="rgb(${shade},${shade},${Math.min(255, shade + 30)})" opacity="${(0.35 + next() * 0.5).toFixed(2)}"/>`);
  }
  return dots.join('');
}

/**
 * The icon at 512 units. `maskable`: the background fills the square and the picture keeps to the
 * central 80% (the safe zone a platform's mask never cuts); otherwise a rounded square.
 */
function iconSvg(maskable: boolean): string {
  const figure = `<circle cx="300" cy="232" r="128" fill="url(#sun)"/>${noiseDots()}`;
  // The hills are ground, not figure: they run to the edges in both drawings.
  const hills = '<path d="M0 396 C130 310 250 420 512 330 L512 512 L0 512 Z" fill="#22a39a"/>' +
    '<path d="M0 440 C170 380 300 466 512 398 L512 512 L0 512 Z" fill="#12756f"/>';
  const art = maskable ? `<g transform="translate(51.2 51.2) scale(0.8)">${figure}</g>${hills}` : figure + hills;
  const shape = maskable ? '' : '<clipPath id="shape"><rect width="512" height="512" rx="112"/></clipPath>';
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">' +
    '<defs><linearGradient id="sky" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a1d5c"/><stop offset="1" stop-color="#0d1836"/></linearGradient>' +
    '<radialGradient id="sun" cx="0.4" cy="0.36" r="0.7"><stop offset="0" stop-color="#ffe08a"/><stop offset="0.5" stop-color="#ff8a7a"/><stop offset="1" stop-color="#9b5cff"/></radialGradient>' +
    `${shape}</defs>` +
    `<g${maskable ? '' : ' clip-path="url(#shape)"'}><rect width="512" height="512" fill="url(#sky)"/>${art}</g></svg>\n`
  );
}

/** Each PNG: its path under public/, its size, and which drawing. */
const PNGS = [
  { file: 'icons/icon-192.png', size: 192, maskable: false },
  { file: 'icons/icon-512.png', size: 512, maskable: false },
  { file: 'icons/maskable-512.png', size: 512, maskable: true },
  // iOS rounds the corners of a home-screen icon itself and shows transparency as black.
  { file: 'icons/apple-touch-icon-180.png', size: 180, maskable: true },
  { file: 'icons/favicon-32.png', size: 32, maskable: false },
];

async function main(): Promise<void> {
  writeFileSync(resolve(PUBLIC, 'favicon.svg'), iconSvg(false));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    for (const png of PNGS) {
      await page.setViewportSize({ width: png.size, height: png.size });
      await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${png.size}px;height:${png.size}px}</style>${iconSvg(png.maskable)}`);
      writeFileSync(resolve(PUBLIC, png.file), await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: png.size, height: png.size } }));
      console.log(`public/${png.file} ${png.size}×${png.size}`);
    }
  } finally {
    await browser.close();
  }
}

await main();
