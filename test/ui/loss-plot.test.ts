import { describe, expect, it } from 'vitest';
import { LOSS_SERIES, lossPlotPaths, lossPoint } from '../../src/ui/loss-plot';

const point = (clip: number[], tv: number, range = 0, saturation = 0) => lossPoint({ clip, tv, range, saturation, gradRms: 1 });

describe('loss plot', () => {
  it("sums CLIP's terms over the prompts, as the total does", () => {
    expect(point([0.5, -0.25], 2)).toEqual({ clip: 0.25, tv: 2, range: 0, saturation: 0 });
  });

  it('draws one point per step so far across the whole job, each term on its own scale', () => {
    const history = [point([1], 10, 4), point([0.5], 30, 2), point([0.75], 20, 0)];
    const paths = lossPlotPaths(history, LOSS_SERIES, 5, 100, 50);
    expect(paths.map((p) => p.series)).toEqual(['clip', 'tv', 'range', 'saturation']);
    expect(paths[0]).toEqual({ series: 'clip', points: '0.0,0.0 25.0,50.0 50.0,25.0', latest: 0.75, flat: false });
    expect(paths[1]!.points).toBe('0.0,50.0 25.0,0.0 50.0,25.0');
    expect(paths[2]!.points).toBe('0.0,0.0 25.0,25.0 50.0,50.0');
    // A term that never moved (a scale of 0) lies flat along the bottom.
    expect(paths[3]).toMatchObject({ points: '0.0,50.0 25.0,50.0 50.0,50.0', flat: true, latest: 0 });
    // The next step adds a point to every line.
    const more = lossPlotPaths([...history, point([0.6], 15, 1)], LOSS_SERIES, 5, 100, 50);
    expect(more.map((p) => p.points.split(' ').length)).toEqual([4, 4, 4, 4]);
  });

  it("adds the init image's LPIPS line only for a job that runs the term", () => {
    const withInit = [1, 0.5].map((init, i) => lossPoint({ clip: [1 - i], tv: 2, range: 0, saturation: 0, init, gradRms: 1 }));
    expect(withInit[0]).toEqual({ clip: 1, tv: 2, range: 0, saturation: 0, init: 1 });
    const paths = lossPlotPaths(withInit, LOSS_SERIES, 2, 100, 50);
    expect(paths.map((p) => p.series)).toEqual(['clip', 'tv', 'range', 'saturation', 'init']);
    expect(paths[4]).toEqual({ series: 'init', points: '0.0,0.0 100.0,50.0', latest: 0.5, flat: false });
  });
});
