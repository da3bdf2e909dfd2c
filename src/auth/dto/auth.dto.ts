import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { UserView } from '../../users/user.view';
import { IsDisplayName, IsNewPassword, IsNormalizedEmail, IsToken } from './validators';

export class RegisterDto {
  @IsNormalizedEmail() email!: string;
  @IsNewPassword() password!: string;
  @IsDisplayName() displayName!: string;
}

export class LoginDto {
  @IsNormalizedEmail() email!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}

export class RefreshDto {
  @IsToken() refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  currentPassword!: string;

  @IsNewPassword() newPassword!: string;
}

export class VerifyEmailDto {
  @IsToken() token!: string;
}

export class ForgotPasswordDto {
  @IsNormalizedEmail() email!: string;
}

export class ResetPasswordDto {
  @IsToken() token!: string;
  @IsNewPassword() newPassword!: string;
}

export class AuthResponse {
  @ApiProperty({ type: UserView }) user!: UserView;
  @ApiProperty() accessToken!: string;
  @ApiProperty() refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'access token lifetime in seconds' }) expiresIn!: number;
}

export class SessionView {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt!: string;
  @ApiProperty({ nullable: true, type: String }) userAgent!: string | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty() current!: boolean;
}
