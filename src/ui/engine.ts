import { createEngineClient, type EngineClient } from '../../workers/engine-client';

let client: EngineClient | undefined;

/** The page's one engine client (the worker starts on first use). */
export const engine = (): EngineClient => (client ??= createEngineClient());
