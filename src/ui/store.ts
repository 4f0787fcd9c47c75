import { useStore as useZustand } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { Backend } from '../runtime';
import { EMPTY_MODELS, type ModelsState } from './models-state';

export interface Settings {
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
}

export interface Result {
  readonly settings: Settings;
  readonly backend: Backend;
  readonly png: Blob;
  /** An object URL of `png`, revoked when the result is replaced. */
  readonly url: string;
  readonly width: number;
  readonly height: number;
}

export type Status = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface StudioState {
  readonly settings: Settings;
  readonly status: Status;
  readonly progress: { readonly step: number; readonly total: number };
  readonly backend?: Backend;
  readonly result?: Result;
  readonly error?: string | undefined;
  readonly models: ModelsState;
}

export const DEFAULT_SETTINGS: Settings = { prompt: '', seed: 0, steps: 12 };

/** The UI's one store. It is a vanilla store so worker callbacks and actions can set state directly. */
export const studio = createStore<StudioState>(() => ({
  settings: DEFAULT_SETTINGS,
  status: 'idle',
  progress: { step: 0, total: 0 },
  models: EMPTY_MODELS,
}));

export const useStudio = <T>(select: (s: StudioState) => T): T => useZustand(studio, select);

export const updateSettings = (patch: Partial<Settings>): void => studio.setState((s) => ({ settings: { ...s.settings, ...patch } }));

/** Merges `patch` into the models slice. */
export const updateModels = (patch: (m: ModelsState) => Partial<ModelsState>): void => studio.setState((s) => ({ models: { ...s.models, ...patch(s.models) } }));
