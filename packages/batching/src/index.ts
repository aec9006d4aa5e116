export { MicroBatcher, type MicroBatchOptions } from './micro-batcher';
