import { useEffect } from 'react';
import { cancel, connectEngine } from '../../actions';
import { loadModels } from '../../models-actions';
import { BackendStatus } from '../BackendStatus';
import { Progress } from '../Progress';
import { PromptForm } from '../PromptForm';
import { ModelsPanel } from '../ModelsPanel';
import { Result } from '../Result';

export function App() {
  useEffect(() => {
    void connectEngine();
    void loadModels(new URLSearchParams(location.search));
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && cancel();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <main>
      <header>
        <h1>CLIP-guided diffusion studio</h1>
        <BackendStatus />
      </header>
      <p className="notice">Walking skeleton: a tiny seeded network paints 64×64 images on your own device. The diffusion model comes next.</p>
      <PromptForm />
      <Progress />
      <Result />
      <ModelsPanel />
    </main>
  );
}
