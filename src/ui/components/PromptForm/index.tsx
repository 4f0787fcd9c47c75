import type { KeyboardEvent } from 'react';
import { cancel, generate } from '../../actions';
import { updateSettings, useStudio } from '../../store';

export function PromptForm() {
  const settings = useStudio((s) => s.settings);
  const running = useStudio((s) => s.status === 'running');
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void generate();
    }
  };
  return (
    <form className="prompt-form" onSubmit={(e) => (e.preventDefault(), void generate())}>
      <label htmlFor="prompt">Prompt</label>
      <textarea id="prompt" rows={3} value={settings.prompt} onKeyDown={onKeyDown} onChange={(e) => updateSettings({ prompt: e.target.value })} placeholder="a lighthouse in a storm, oil on canvas" />
      <div className="row">
        <label>
          Seed
          <input type="number" min={0} max={4294967295} value={settings.seed} onChange={(e) => updateSettings({ seed: Number(e.target.value) >>> 0 })} />
        </label>
        <label>
          Steps
          <input type="number" min={1} max={1000} value={settings.steps} onChange={(e) => updateSettings({ steps: Math.max(1, Math.min(1000, Number(e.target.value) | 0)) })} />
        </label>
      </div>
      <div className="row">
        <button type="submit" disabled={running} aria-keyshortcuts="Control+Enter">Generate</button>
        <button type="button" disabled={!running} onClick={cancel} aria-keyshortcuts="Escape">Cancel</button>
      </div>
    </form>
  );
}
