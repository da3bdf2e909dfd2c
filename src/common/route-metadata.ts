import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { ApiKeyScope } from '../protocol';

/**
 * Route metadata read by the HTTP guard and by the OpenAPI document: a leaf, so any module
 * (metrics, health) can mark its routes without depending on the auth module.
 */
export const IS_PUBLIC = 'parley:public';
export const ALLOW_UNVERIFIED = 'parley:allow-unverified';
/** The OpenAPI extension that marks a public operation until the document is finished (docs.ts). */
export const PUBLIC_EXTENSION = 'x-parley-public';
/** Server API routes (`/api/v1`): an API key with this scope, never a user's token. */
export const API_KEY_SCOPE = 'parley:api-key-scope';
/** The OpenAPI extension naming an API-key operation's scope until the document is finished. */
export const API_KEY_EXTENSION = 'x-parley-api-key';

/** No bearer token needed (and none documented). */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
/** Reachable by users who have not verified their email, even with REQUIRE_EMAIL_VERIFICATION. */
export const AllowUnverified = () => SetMetadata(ALLOW_UNVERIFIED, true);
/**
 * An API-key route: the user-token guard leaves it alone, and the server API's guard requires a
 * key with `scope`.
 */
export const ApiKeyRoute = (scope: ApiKeyScope) => applyDecorators(SetMetadata(API_KEY_SCOPE, scope), ApiExtension(API_KEY_EXTENSION, scope));
