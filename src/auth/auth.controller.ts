import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { UserView } from '../users/user.view';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthService } from './auth.service';
import { AllowUnverified, CurrentUser, Public } from './decorators';
import {
  AuthResponse,
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  SessionView,
  VerifyEmailDto,
} from './dto/auth.dto';
import { Principal } from './principal';
import { sessionMeta } from './request-meta';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponse })
  @ApiTooManyRequestsResponse()
  register(@Body() dto: RegisterDto, @Req() req: Request): Promise<AuthResponse> {
    return this.auth.register(dto, sessionMeta(req));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponse })
  @ApiUnauthorizedResponse({ description: 'Invalid credentials' })
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<AuthResponse> {
    return this.auth.login(dto, sessionMeta(req));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponse, description: 'A new refresh token; the presented one is spent' })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired, revoked or already used (replay ends the session)' })
  refresh(@Body() dto: RefreshDto): Promise<AuthResponse> {
    return this.auth.refresh(dto.refreshToken);
  }

  @AllowUnverified()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse()
  logout(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.logout(user);
  }

  @AllowUnverified()
  @Post('logout-all')
  @HttpCode(204)
  @ApiNoContentResponse()
  logoutAll(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.logoutAll(user);
  }

  @AllowUnverified()
  @Get('me')
  @ApiOkResponse({ type: UserView })
  me(@CurrentUser() user: Principal): Promise<UserView> {
    return this.auth.me(user);
  }

  @Patch('password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Every other session of the user ends' })
  @ApiUnauthorizedResponse({ description: 'Wrong current password' })
  changePassword(@CurrentUser() user: Principal, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(user, dto);
  }

  @AllowUnverified()
  @Get('sessions')
  @ApiOkResponse({ type: SessionView, isArray: true })
  sessions(@CurrentUser() user: Principal): Promise<SessionView[]> {
    return this.auth.listSessions(user);
  }

  @AllowUnverified()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  endSession(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    return this.auth.endSession(user, id);
  }

  @Public()
  @Post('verify-email')
  @HttpCode(204)
  @ApiNoContentResponse()
  verifyEmail(@Body() dto: VerifyEmailDto): Promise<void> {
    return this.auth.verifyEmail(dto.token);
  }

  @AllowUnverified()
  @UseGuards(AuthThrottlerGuard)
  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiAcceptedResponse()
  resendVerification(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.resendVerification(user);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('password/forgot')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always, whether or not the account exists' })
  forgotPassword(@Body() dto: ForgotPasswordDto): void {
    this.auth.forgotPassword(dto.email);
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Every session of the user ends' })
  resetPassword(@Body() dto: ResetPasswordDto): Promise<void> {
    return this.auth.resetPassword(dto);
  }
}
