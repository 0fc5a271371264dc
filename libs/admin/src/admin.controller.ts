import {
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
} from '@nestjs/common';
import { AuthGuard, RequirePermission } from '@eddy/auth';
import type { EventStoreStatistics } from '@eddy/eventstore';
import { type ProjectionStatus, UnknownProjectionError, type VerifyResult } from '@eddy/projections';
import { AdminService, ProjectionsNotRunHereError } from './admin.service';

/** Answers an unknown projection name with 404 and the name. */
@Catch(UnknownProjectionError)
export class UnknownProjectionFilter implements ExceptionFilter {
  catch(error: UnknownProjectionError, host: ArgumentsHost): void {
    const notFound = new NotFoundException(error.message);
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(404)
      .json(notFound.getResponse());
  }
}

/** Answers projection calls on a process that runs no projections with 409 and why. */
@Catch(ProjectionsNotRunHereError)
export class ProjectionsNotRunHereFilter implements ExceptionFilter {
  catch(error: ProjectionsNotRunHereError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(409)
      .json({ statusCode: 409, error: 'Conflict', message: error.message });
  }
}

/** The admin API of `shared/api/commands.md`, for identities holding the `admin` permission. */
@Controller('admin')
@UseGuards(AuthGuard)
@RequirePermission('admin')
@UseFilters(UnknownProjectionFilter, ProjectionsNotRunHereFilter)
export class AdminController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Get('projections')
  projections(): Promise<ProjectionStatus[]> {
    return this.admin.projections();
  }

  @Get('projections/:name')
  projection(@Param('name') name: string): Promise<ProjectionStatus> {
    return this.admin.projection(name);
  }

  @Post('projections/:name/replay')
  @HttpCode(202)
  replay(@Param('name') name: string): Promise<{ replayId: string }> {
    return this.admin.replay(name);
  }

  @Post('projections/:name/verify')
  @HttpCode(200)
  verify(@Param('name') name: string): Promise<VerifyResult> {
    return this.admin.verify(name);
  }

  @Get('event-store')
  eventStore(): Promise<EventStoreStatistics> {
    return this.admin.eventStore();
  }
}
