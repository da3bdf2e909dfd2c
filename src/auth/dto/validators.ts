import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, Length, MaxLength, ValidateBy } from 'class-validator';

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt ignores everything after 72 bytes, so longer passwords are refused rather than truncated. */
export const PASSWORD_MAX_BYTES = 72;

export const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A new password: 8–72 bytes of UTF-8 (not characters: "é" is two bytes). */
export function IsNewPassword(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ description: `${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes of UTF-8`, example: 'correct horse battery' }),
    ValidateBy({
      name: 'passwordBytes',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && utf8Length(value) >= PASSWORD_MIN_BYTES && utf8Length(value) <= PASSWORD_MAX_BYTES,
        defaultMessage: (args) =>
          `${args?.property ?? 'password'} must be a string of ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes (UTF-8)`,
      },
    }),
  );
}

/** An email, trimmed and lower-cased before validation. */
export function IsNormalizedEmail(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ example: 'ada@example.com', description: 'compared case-insensitively' }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value)),
    IsEmail({}, { message: '$property must be an email address' }),
    MaxLength(254),
  );
}

/** An opaque token string from a mail link or an earlier response. */
export function IsToken(): PropertyDecorator {
  return applyDecorators(ApiProperty(), IsString(), IsNotEmpty(), MaxLength(4096));
}

export function IsDisplayName(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ example: 'Ada', minLength: 1, maxLength: 50 }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    Length(1, 50),
  );
}
