import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { AUTH_OPTIONS, type AuthOptions } from './identity';

/** Authentication for every API of the application. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, Authenticator, AuthGuard],
      exports: [AUTH_OPTIONS, Authenticator, AuthGuard],
    };
  }
}
