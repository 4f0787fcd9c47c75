import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe } from 'vitest';

/**
 * The one setting that locates the PyTorch reference fixtures. Under CI they are required (a missing
 * folder fails the run); elsewhere the tests that need them skip and say so.
 */
export const FIXTURES_DIR = resolve(process.env.FIXTURES_DIR ?? resolve(import.meta.dirname, '../../shared/fixtures'));

export const fixturesPresent = existsSync(resolve(FIXTURES_DIR, 'README.md'));

if (!fixturesPresent && process.env.CI) {
  throw new Error(`Reference fixtures are required under CI but ${FIXTURES_DIR} is missing (set FIXTURES_DIR).`);
}

export const fixturePath = (...parts: string[]): string => resolve(FIXTURES_DIR, ...parts);

/** `describe` for tests that need the fixtures: skipped, with a message, when they are absent. */
export function describeWithFixtures(name: string, body: () => void): void {
  if (fixturesPresent) {
    describe(name, body);
    return;
  }
  console.warn(`[skip] "${name}": reference fixtures not found at ${FIXTURES_DIR} (set FIXTURES_DIR)`);
  describe.skip(name, body);
}
