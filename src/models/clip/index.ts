export { clipModelName, inferClipArchitecture, type ClipArchitecture } from './architecture';
export { encodeImage, encodeText, type ImageEncoding, type TextEncoding } from './encoders';
export { argmaxIndex, textEncoderFeeds } from './feeds';
export { buildImageEncoderGraph, buildTextEncoderGraph, type EncoderGraphOptions } from './graphs';
export { clipParams, type Param } from './params';
export { loadClip, type ClipStateDict, type HfClipConfig, type LoadedClip, type Weight } from './state-dict';
export { CONTEXT_LENGTH, createClipTokenizer, EOT_TOKEN, SOT_TOKEN, type ClipTokenizer, type Tokens } from './tokenizer';
export { CLIP_CONVERT_USAGE, convertClip } from './convert';
