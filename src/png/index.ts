export { isPng, readChunks, type Chunk } from './chunks';
export { decodePng, encodePng, type DecodedPng, type RgbaImage } from './codec';
export { readText, type PngText } from './text';
