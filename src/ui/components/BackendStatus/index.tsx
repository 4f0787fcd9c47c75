import type { Backend } from '../../../runtime';
import { useStudio } from '../../store';

export function describeBackend(backend: Backend): string {
  if (backend.ep === 'webgpu') {
    const { vendor, architecture, isFallbackAdapter } = backend.adapter ?? { vendor: '', architecture: '', isFallbackAdapter: false };
    const name = [vendor, architecture].filter(Boolean).join(' ') || 'unknown adapter';
    return `WebGPU (${name}${isFallbackAdapter ? ', software fallback adapter' : ''})`;
  }
  const threads = `${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  return `WebAssembly, ${threads}${backend.fallbackReason ? `: ${backend.fallbackReason}` : ''}`;
}

export function BackendStatus() {
  const backend = useStudio((s) => s.backend);
  return (
    <output className="backend" aria-label="Backend" data-ep={backend?.ep ?? ''}>
      {backend ? describeBackend(backend) : 'Starting the engine…'}
    </output>
  );
}
