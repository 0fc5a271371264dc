export * from './admin.service';
export * from './admin.controller';
export * from './admin.module';
