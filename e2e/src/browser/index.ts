export * from './bundle-server';
export * from './chromium';
export * from './screenshots';
export * from './sign-in';
