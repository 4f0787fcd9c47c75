import { useEffect, useRef } from 'react';
import type { Pixels } from '../../../../workers/job-types';

/** Draws RGBA pixels (a preview) without encoding a PNG for each; narrower screens shrink it, keeping its shape. */
export function PixelCanvas({ pixels, label, scale = 1 }: { readonly pixels: Pixels; readonly label: string; readonly scale?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    context?.putImageData(new ImageData(new Uint8ClampedArray(pixels.rgba), pixels.width, pixels.height), 0, 0);
  }, [pixels]);
  return <canvas ref={canvas} role="img" aria-label={label} width={pixels.width} height={pixels.height} style={{ width: pixels.width * scale, height: 'auto', imageRendering: 'pixelated' }} />;
}
