import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Authenticator } from './authenticator';
import { AuthenticationError, type Identity, type Permission } from './identity';

const PERMISSION = 'eddy:permission';

/** The route needs this permission: 401 without an identity, 403 without the permission. */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION, permission);

interface RequestWithIdentity {
  headers: Record<string, unknown>;
  identity?: Identity;
}

/** Authenticates every HTTP request of a controller it guards and checks the route's permission. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithIdentity>();
    try {
      request.identity = (await this.authenticator.authenticate(request.headers)).identity;
    } catch (error) {
      if (error instanceof AuthenticationError) throw new UnauthorizedException(error.message);
      throw error;
    }
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (permission && !request.identity.permissions.has(permission)) {
      throw new ForbiddenException(`${request.identity.userId} lacks the '${permission}' permission`);
    }
    return true;
  }
}

/** The identity that {@link AuthGuard} authenticated. */
export const CurrentIdentity = createParamDecorator((_: unknown, context: ExecutionContext): Identity => {
  const identity = context.switchToHttp().getRequest<RequestWithIdentity>().identity;
  if (!identity) throw new UnauthorizedException('no identity');
  return identity;
});
