import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModels, wasmFigures, type StepRun } from './sample-step.bench';

/** bench sample-step's wasm half, in a process of its own: `node --import tsx step-wasm-process.ts DIR THREADS RUN` writes DIR/figures.json. */
const [dir, threads, run] = process.argv.slice(2) as [string, string, string];
const figures = await wasmFigures(Number(threads), readModels(dir), JSON.parse(run) as StepRun);
writeFileSync(join(dir, 'figures.json'), JSON.stringify(figures));
