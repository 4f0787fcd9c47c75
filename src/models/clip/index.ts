export { CONTEXT_LENGTH, createClipTokenizer, EOT_TOKEN, SOT_TOKEN, type ClipTokenizer, type Tokens } from './tokenizer';
