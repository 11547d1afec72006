export * from './correlation';
export * from './logger';
export * from './events';
export * from './kafka-bus';
export * from './outbox';
export * from './metrics';
export * from './redaction';
