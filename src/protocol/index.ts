/**
 * The wire contract (../shared/API.md) in one place. A leaf: it imports nothing else in src/,
 * and the server, the SDK, the demo client, the CLI, the examples and the tests import it.
 */
export * from './errors';
export * from './names';
export * from './schema';
export * from './models';
export * from './events';
export * from './chat';
export * from './dashboard';
export * from './live';
export * from './rest';
export * from './webhooks';

import { CHAT } from './chat';
import { DASHBOARD } from './dashboard';
import { LIVE } from './live';

/** Every Socket.IO namespace of the contract. */
export const NAMESPACES = [CHAT, DASHBOARD, LIVE] as const;
