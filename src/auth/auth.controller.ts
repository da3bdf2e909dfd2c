import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiAnswer, ApiBodySchema, ApiErrors } from '../common/api-docs';
import { AllowUnverified, Public } from '../common/route-metadata';
import { SchemaPipe } from '../common/validation';
import {
  AuthResponse,
  ChangePasswordBody,
  ForgotPasswordBody,
  LoginBody,
  LoginResponse,
  LoginSecondStepBody,
  RecoveryCodes,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  SessionInfo,
  SessionList,
  Static,
  TwoFactorDisableBody,
  TwoFactorEnableBody,
  TwoFactorSetup,
  User,
  VerifyEmailBody,
} from '../protocol';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthService } from './auth.service';
import { CurrentUser, IpBudget } from './decorators';
import { Principal } from './principal';
import { sessionMeta } from './request-meta';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @ApiOperation({ summary: 'Create an account and a first session' })
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @IpBudget()
  @Post('register')
  @ApiBodySchema(RegisterBody)
  @ApiAnswer(201, AuthResponse)
  @ApiErrors(400, [409, 'Email already registered'], 429, [503, 'Too many sign-ins at once; retry after Retry-After'])
  register(@Body(new SchemaPipe(RegisterBody)) body: Static<typeof RegisterBody>, @Req() req: Request): Promise<AuthResponse> {
    return this.auth.register(body, sessionMeta(req));
  }

  @ApiOperation({ summary: 'Sign in: a new session' })
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @IpBudget()
  @Post('login')
  @HttpCode(200)
  @ApiBodySchema(LoginBody)
  @ApiAnswer(200, LoginResponse, 'A new session (or, with two-factor sign-in on, the second step)')
  @ApiErrors(400, [401, 'Invalid credentials'], 429, [503, 'Too many sign-ins at once; retry after Retry-After'])
  login(@Body(new SchemaPipe(LoginBody)) body: Static<typeof LoginBody>, @Req() req: Request): Promise<LoginResponse> {
    return this.auth.login(body, sessionMeta(req));
  }

  @ApiOperation({ summary: 'Sign in, second step: a TOTP code or a recovery code' })
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @IpBudget()
  @Post('login/2fa')
  @HttpCode(200)
  @ApiBodySchema(LoginSecondStepBody)
  @ApiAnswer(200, AuthResponse, 'A new session')
  @ApiErrors(400, [401, 'Wrong or reused code, or an invalid, expired or spent mfaToken (5 wrong codes spend it)'], 429)
  loginSecondStep(@Body(new SchemaPipe(LoginSecondStepBody)) body: LoginSecondStepBody, @Req() req: Request): Promise<AuthResponse> {
    return this.auth.loginSecondStep(body, sessionMeta(req));
  }

  @ApiOperation({ summary: 'Start two-factor setup: a new secret (pending until enabled)' })
  @Post('2fa/setup')
  @HttpCode(200)
  @ApiAnswer(200, TwoFactorSetup, 'The secret (base32) and its otpauth URL; replaces a pending one')
  @ApiErrors([409, 'Two-factor sign-in is already enabled'])
  setupTwoFactor(@CurrentUser() user: Principal): Promise<TwoFactorSetup> {
    return this.auth.setupTwoFactor(user);
  }

  @ApiOperation({ summary: 'Enable two-factor sign-in with a code of the pending secret (other sessions end)' })
  @UseGuards(AuthThrottlerGuard)
  @Post('2fa/enable')
  @HttpCode(200)
  @ApiBodySchema(TwoFactorEnableBody)
  @ApiAnswer(200, RecoveryCodes, '10 single-use recovery codes, shown once')
  @ApiErrors([400, 'Wrong code'], [409, 'Two-factor sign-in is already enabled'], 429)
  enableTwoFactor(
    @CurrentUser() user: Principal,
    @Body(new SchemaPipe(TwoFactorEnableBody)) body: Static<typeof TwoFactorEnableBody>,
  ): Promise<RecoveryCodes> {
    return this.auth.enableTwoFactor(user, body.code);
  }

  @ApiOperation({ summary: 'Disable two-factor sign-in (other sessions end)' })
  @UseGuards(AuthThrottlerGuard)
  @Post('2fa/disable')
  @HttpCode(204)
  @ApiBodySchema(TwoFactorDisableBody)
  @ApiAnswer(204, undefined, 'Every other session of the user ends')
  @ApiErrors([400, 'Wrong code'], [401, 'Wrong password'], 429)
  disableTwoFactor(
    @CurrentUser() user: Principal,
    @Body(new SchemaPipe(TwoFactorDisableBody)) body: Static<typeof TwoFactorDisableBody>,
  ): Promise<void> {
    return this.auth.disableTwoFactor(user, body);
  }

  @ApiOperation({ summary: 'Rotate the refresh token: a new pair' })
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiBodySchema(RefreshBody)
  @ApiAnswer(200, AuthResponse, 'A new refresh token; the presented one is spent')
  @ApiErrors(400, [401, 'Invalid, expired, revoked or already used (replay ends the session)'], 429)
  refresh(@Body(new SchemaPipe(RefreshBody)) body: Static<typeof RefreshBody>): Promise<AuthResponse> {
    return this.auth.refresh(body.refreshToken);
  }

  @ApiOperation({ summary: 'End this session' })
  @AllowUnverified()
  @Post('logout')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'The session ends on REST and on every socket, on every node')
  @ApiErrors([400, 'Sign out at your identity provider (a token of the external provider has no Parley session)'])
  logout(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.logout(user);
  }

  @ApiOperation({ summary: 'End every session of the user' })
  @AllowUnverified()
  @Post('logout-all')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'Every session of the user ends')
  logoutAll(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.logoutAll(user);
  }

  @ApiOperation({ summary: 'The signed-in user' })
  @AllowUnverified()
  @Get('me')
  @ApiAnswer(200, User)
  me(@CurrentUser() user: Principal): Promise<User> {
    return this.auth.me(user);
  }

  @ApiOperation({ summary: 'Change the password (other sessions end)' })
  @UseGuards(AuthThrottlerGuard)
  @Patch('password')
  @HttpCode(204)
  @ApiBodySchema(ChangePasswordBody)
  @ApiAnswer(204, undefined, 'Every other session of the user ends')
  @ApiErrors(400, [401, 'Wrong current password'], 429)
  changePassword(@CurrentUser() user: Principal, @Body(new SchemaPipe(ChangePasswordBody)) body: Static<typeof ChangePasswordBody>): Promise<void> {
    return this.auth.changePassword(user, body);
  }

  @ApiOperation({ summary: 'The live sessions (devices) of the user' })
  @AllowUnverified()
  @Get('sessions')
  @ApiAnswer(200, SessionList)
  sessions(@CurrentUser() user: Principal): Promise<SessionInfo[]> {
    return this.auth.listSessions(user);
  }

  @ApiOperation({ summary: 'End one session of the user' })
  @AllowUnverified()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'That session ends')
  @ApiErrors([404, "Unknown, or another user's"])
  endSession(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    return this.auth.endSession(user, id);
  }

  @ApiOperation({ summary: 'Confirm the email address with the mailed token' })
  @Public()
  @Post('verify-email')
  @HttpCode(204)
  @ApiBodySchema(VerifyEmailBody)
  @ApiAnswer(204, undefined, 'The email is verified')
  @ApiErrors([400, 'Invalid, expired or already used'])
  verifyEmail(@Body(new SchemaPipe(VerifyEmailBody)) body: Static<typeof VerifyEmailBody>): Promise<void> {
    return this.auth.verifyEmail(body.token);
  }

  @ApiOperation({ summary: 'Send the verification mail again' })
  @AllowUnverified()
  @UseGuards(AuthThrottlerGuard)
  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiAnswer(202)
  @ApiErrors(429)
  resendVerification(@CurrentUser() user: Principal): Promise<void> {
    return this.auth.resendVerification(user);
  }

  @ApiOperation({ summary: 'Mail a password reset link' })
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @IpBudget()
  @Post('password/forgot')
  @HttpCode(202)
  @ApiBodySchema(ForgotPasswordBody)
  @ApiAnswer(202, undefined, 'Always, whether or not the account exists')
  @ApiErrors(400, 429)
  forgotPassword(@Body(new SchemaPipe(ForgotPasswordBody)) body: Static<typeof ForgotPasswordBody>): void {
    this.auth.forgotPassword(body.email);
  }

  @ApiOperation({ summary: 'Set a new password with the mailed token' })
  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiBodySchema(ResetPasswordBody)
  @ApiAnswer(204, undefined, 'Every session of the user ends')
  @ApiErrors([400, 'Invalid, expired or already used link, or an invalid password'])
  resetPassword(@Body(new SchemaPipe(ResetPasswordBody)) body: Static<typeof ResetPasswordBody>): Promise<void> {
    return this.auth.resetPassword(body);
  }
}
