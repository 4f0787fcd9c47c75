/** The built-in demo pack: tiny seeded models for the offline demo (clearly labelled as such). */
export { buildDemoPack, clipShapes, DEMO_CLIP, DEMO_LABEL, DEMO_SETTINGS, type DemoPack } from './pack';
export { demoVocabularyGz, demoVocabularyText } from './vocabulary';
export { seededArrays, type SeededArray } from './seeded';
