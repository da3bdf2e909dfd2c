import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { API_KEY_EXTENSION, PUBLIC_EXTENSION } from '../common/route-metadata';
import { buildAsyncApi } from '../protocol/asyncapi';
import { HttpErrorSchema, NAMESPACES } from '../protocol';

/** The package version, for both documents. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Named schemas of the contract (those with a `title`) become components and are referenced,
 * so the document reads like the contract: `Message`, `User`, `HttpError`…
 */
function extractComponents(document: Json, schemas: Json): void {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) out[key] = visit(value);
    const title = out.title;
    const isSchema = 'type' in out || 'anyOf' in out || 'oneOf' in out;
    if (typeof title === 'string' && /^[A-Za-z0-9_]+$/.test(title) && isSchema) {
      const existing = schemas[title];
      if (existing === undefined || JSON.stringify(existing) === JSON.stringify(out)) {
        schemas[title] = out;
        return { $ref: `#/components/schemas/${title}` };
      }
    }
    return out;
  };
  for (const key of ['paths'] as const) document[key] = visit(document[key]);
}

/**
 * Every user operation needs a bearer token and may answer 401; public ones need nothing;
 * server API operations (`/api/v1`) need an API key with their scope.
 */
function applySecurity(document: OpenAPIObject): void {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/HttpError' } } } });
  const unauthorized = error('Missing, invalid or expired bearer token, or an ended session');
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Array<Json & { responses?: Json }>) {
      if (!isObject(operation) || !operation.responses) continue;
      const scope = operation[API_KEY_EXTENSION];
      if (typeof scope === 'string') {
        delete operation[API_KEY_EXTENSION];
        operation.security = [{ apiKey: [] }];
        operation.description = `Requires an API key with the \`${scope}\` scope.`;
        operation.responses['401'] ??= error('Missing, unknown or revoked API key (a user access token is refused too)');
        operation.responses['403'] = error(`The API key lacks the \`${scope}\` scope`);
        operation.responses['429'] ??= error('API_RATE_LIMIT reached for this key; see Retry-After');
      } else if (operation[PUBLIC_EXTENSION]) {
        delete operation[PUBLIC_EXTENSION];
        operation.security = [];
      } else {
        operation.security = [{ bearer: [] }];
        operation.responses['401'] ??= unauthorized;
      }
    }
  }
}

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('Parley')
      .setDescription('REST API of Parley. The Socket.IO namespaces and their events are in the AsyncAPI document at /docs/asyncapi.json.')
      .setVersion(version)
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addServer('/', 'This server')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /auth/login, /auth/register or /auth/refresh' },
        'bearer',
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'pk_<id>_<secret>',
          description: 'A server API key (`npm run cli -- api-key create <name>`), for /api/v1 only',
        },
        'apiKey',
      )
      .build(),
  );
  // Plain JSON first: the contract's schemas carry TypeBox markers in symbol keys.
  const plain = JSON.parse(JSON.stringify(document)) as OpenAPIObject;
  const schemas: Json = { HttpError: JSON.parse(JSON.stringify(HttpErrorSchema)) as Json };
  extractComponents(plain as unknown as Json, schemas);
  plain.components = {
    ...plain.components,
    schemas: { ...(plain.components?.schemas ?? {}), ...(schemas as NonNullable<OpenAPIObject['components']>['schemas']) },
  };
  applySecurity(plain);
  return plain;
}

export function buildRealtimeDocument(host: string): Json {
  return buildAsyncApi(NAMESPACES, { version, host, protocol: 'ws' });
}

/** `/docs` (OpenAPI UI), `/docs/json`, and `/docs/asyncapi.json` (the Socket.IO events). */
export function setupApiDocuments(app: INestApplication): void {
  app.getHttpAdapter().get('/docs/asyncapi.json', (req: Request, res: Response) => res.json(buildRealtimeDocument(req.headers.host ?? 'localhost')));
  SwaggerModule.setup('docs', app, buildOpenApi(app), {
    jsonDocumentUrl: 'docs/json',
    customSiteTitle: 'Parley API',
    swaggerOptions: { persistAuthorization: true },
    customfavIcon: undefined,
  });
}
