/** The built-in demo pack: tiny seeded models for the offline demo (clearly labelled as such). */
export { buildDemoPack, clipShapes, DEMO_CLIP, DEMO_CLIP_NAMES, DEMO_CLIP_RN, DEMO_CLIPS, DEMO_LABEL, DEMO_SETTINGS, DEMO_UNET_FLAGS, demoClip, demoUnetArrays, type DemoClipName, type DemoPack } from './pack';
export { demoVocabularyGz, demoVocabularyText } from './vocabulary';
export { seededArrays, type SeededArray } from './seeded';
