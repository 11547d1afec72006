export * from './infra';
export * from './topic-reader';
export * from './service-process';
export * from './consumer-groups';
export * from './test-pki';
