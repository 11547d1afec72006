export * from './kafka-connection';
export * from './kafka-topics';
export * from './kafka-acls';
