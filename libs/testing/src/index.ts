export * from './infra';
export * from './topic-reader';
export * from './service-process';
export * from './consumer-groups';
export * from './identity';
export * from './service-database';
export * from './hostile-input';
export * from './kafka';
