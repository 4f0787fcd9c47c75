import { useEffect } from 'react';
import { cancel, connectEngine } from '../../actions';
import { refreshGallery } from '../../gallery-actions';
import { loadModels } from '../../models-actions';
import { dropImage } from '../../restore';
import { studio } from '../../store';
import { settingsFromUrl } from '../../url-settings';
import { AppBanner } from '../AppBanner';
import { BackendStatus } from '../BackendStatus';
import { FirstRun } from '../FirstRun';
import { Gallery } from '../Gallery';
import { JobView } from '../JobView';
import { ModelsPanel } from '../ModelsPanel';
import { PromptForm } from '../PromptForm';
import { Queue } from '../Queue';
import { TrainPanel } from '../TrainPanel';
import { loadTraining } from '../../training-actions';

/** Escape cancels; an image pasted anywhere, or dropped outside the drop zones, is a PNG to restore or an init image. */
function useGlobalInputs(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && cancel();
    const onPaste = (e: ClipboardEvent) => {
      const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) void dropImage(file);
    };
    const onDragOver = (e: DragEvent) => e.preventDefault();
    const onDrop = (e: DragEvent) => {
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (file) void dropImage(file);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('paste', onPaste);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
}

export function App() {
  useEffect(() => {
    const shared = settingsFromUrl(location.hash);
    if (shared) studio.setState({ settings: shared, notice: 'Settings loaded from the link' });
    void connectEngine();
    void loadModels(new URLSearchParams(location.search));
    void refreshGallery();
    void loadTraining();
  }, []);
  useGlobalInputs();
  return (
    <main>
      <header>
        <h1>CLIP-guided diffusion studio</h1>
        <BackendStatus />
        <span className="build" aria-label="Build">build {__BUILD_ID__}</span>
        <AppBanner />
      </header>
      <PromptForm />
      <FirstRun />
      <JobView />
      <Queue />
      <Gallery />
      <TrainPanel />
      <ModelsPanel />
    </main>
  );
}
