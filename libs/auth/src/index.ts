export * from './identity';
export * from './authenticator';
export * from './auth.guard';
export * from './auth.module';
