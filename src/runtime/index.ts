export { hostTensor, type HostTensor } from './host-tensor';
export { createRuntime, type AdapterInfo, type Backend, type ExecutionProvider, type OrtModule, type Runtime, type RuntimeOptions, type Session } from './ort';
export { createQueue } from './queue';
