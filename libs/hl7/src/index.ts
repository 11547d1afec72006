export * from './errors';
export * from './encoding';
export * from './field-limits';
export * from './order';
export * from './ack';
export * from './dft';
export * from './mllp';
export * from './order-builder';
