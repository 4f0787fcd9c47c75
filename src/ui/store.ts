import { useStore as useZustand } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { Backend } from '../runtime';
import type { ModelChoice } from '../../workers/job-types';
import type { GalleryItem } from './gallery-db';
import type { JobState } from './jobs';
import { EMPTY_MODELS, type ModelsState } from './models-state';
import { SEED_DEFAULTS, type ImagePromptInput, type InputImage, type StudioSettings } from './settings';
import { EMPTY_TRAINING, type TrainingState } from './training-state';

export interface StudioState {
  readonly settings: StudioSettings;
  /** When unlocked, each Generate draws a fresh seed first. */
  readonly seedLocked: boolean;
  readonly initImage?: InputImage | undefined;
  readonly imagePrompts: readonly ImagePromptInput[];
  /** Queued, running and finished jobs, oldest first. */
  readonly jobs: readonly JobState[];
  /** The job whose result is shown. */
  readonly shownJob?: string | undefined;
  readonly backend?: Backend;
  readonly gallery: readonly GalleryItem[];
  /** A message not tied to one job (a refused drop, the engine not starting). */
  readonly error?: string | undefined;
  readonly notice?: string | undefined;
  readonly models: ModelsState;
  /** Which models the next job uses. */
  readonly modelChoice: ModelChoice;
  readonly app: AppState;
  /** The Train view: the training set, the run's options, progress and files. */
  readonly training: TrainingState;
}

/** The installed app: the network, the service worker's offline copy, a new version. */
export interface AppState {
  readonly online: boolean;
  /** The service worker has saved every file the page needs: a reload works offline. */
  readonly offlineReady: boolean;
  /** 'waiting': a new build is saved and waits for a reload; 'active': another tab switched to it. */
  readonly update?: 'waiting' | 'active' | undefined;
}

/** The UI's one store. It is a vanilla store so worker callbacks and actions can set state directly. */
export const studio = createStore<StudioState>(() => ({
  settings: SEED_DEFAULTS,
  seedLocked: true,
  imagePrompts: [],
  jobs: [],
  gallery: [],
  models: EMPTY_MODELS,
  modelChoice: { source: 'demo' },
  app: { online: true, offlineReady: false },
  training: EMPTY_TRAINING,
}));

export const useStudio = <T>(select: (s: StudioState) => T): T => useZustand(studio, select);

export const updateSettings = (patch: Partial<StudioSettings>): void => studio.setState((s) => ({ settings: { ...s.settings, ...patch } }));

/** Merges `patch` into the models slice. */
export const updateModels = (patch: (m: ModelsState) => Partial<ModelsState>): void => studio.setState((s) => ({ models: { ...s.models, ...patch(s.models) } }));

export const updateApp = (patch: Partial<AppState>): void => studio.setState((s) => ({ app: { ...s.app, ...patch } }));

/** Merges `patch` into the training slice. */
export const updateTraining = (patch: (t: TrainingState) => Partial<TrainingState>): void => studio.setState((s) => ({ training: { ...s.training, ...patch(s.training) } }));

/** Replaces one job's state. */
export const updateJob = (id: string, patch: (j: JobState) => Partial<JobState>): void =>
  studio.setState((s) => ({ jobs: s.jobs.map((j) => (j.id === id ? { ...j, ...patch(j) } : j)) }));
