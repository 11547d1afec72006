export * from './config';
export * from './http';
export * from './health';
export * from './prisma';
export * from './bootstrap';
export * from './runtime';
export * from './service-module';
export * from './canonical-json';
