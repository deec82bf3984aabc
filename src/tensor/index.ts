/** The tensor engine: tensors with autograd, the ops, scopes, and the backend choice. */
export { Tensor, noGrad, isGradEnabled, sizeOf, type DType, type GradNode } from './tensor.js';
export { tensor, idTensor, hostTensor, zeros, ones, full, scalar, asFloat32 } from './create.js';
export { tidy, keep } from './scope.js';
export { currentBackend, withBackend, liveBufferCount } from './registry.js';
export { backendOf } from './dispatch.js';
export { indexAtCumulativeWeight } from './cumulative-draw.js';
export { HostReadError, hostReadCount, hostReadElementCount, onDevice, strictMode, writeHost } from './host.js';
export {
  TensorError, ShapeError, BackendMismatchError, DisposedTensorError, NativeBackendUnavailableError,
} from './errors.js';
export { NoToken, type Backend, type TokenChoice } from './backend.js';
export * from './ops/index.js';
