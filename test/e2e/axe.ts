import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** One axe-core violation, as the tests report it. */
export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly targets: string[];
}

/**
 * Runs axe-core (WCAG 2 A/AA rules) in the page and returns the serious and critical violations,
 * each with the elements it found them on. `within` limits the check to one part of the page.
 */
export async function seriousViolations(page: Page, within?: string): Promise<Violation[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const args = JSON.stringify({ within: within ?? null });
  return (await page.evaluate(`(async ({ within }) => {
    const result = await axe.run(within ?? document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  })(${args})`)) as Violation[];
}
