import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/**
 * Route metadata read by the HTTP guard and by the OpenAPI document: a leaf, so any module
 * (metrics, health) can mark its routes without depending on the auth module.
 */
export const IS_PUBLIC = 'parley:public';
export const ALLOW_UNVERIFIED = 'parley:allow-unverified';
/** The OpenAPI extension that marks a public operation until the document is finished (docs.ts). */
export const PUBLIC_EXTENSION = 'x-parley-public';

/** No bearer token needed (and none documented). */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
/** Reachable by users who have not verified their email, even with REQUIRE_EMAIL_VERIFICATION. */
export const AllowUnverified = () => SetMetadata(ALLOW_UNVERIFIED, true);
