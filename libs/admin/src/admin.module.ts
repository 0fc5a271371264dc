import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';

/**
 * The admin API. Needs `ProjectionRunner` (from `ProjectionsModule`), `EVENT_STORE` and the
 * `AuthGuard` of `AuthModule`, all global in the application.
 */
@Module({
  controllers: [AdminController],
  providers: [AdminService],
  exports: [AdminService],
})
export class AdminModule {}
