/** The built-in middleware in their default order: logging, auth, quota, rate limit (outermost first). */
import { authMiddleware } from './auth';
import { loggingMiddleware } from './logging';
import { quotaMiddleware } from './quota';
import { rateLimitMiddleware } from './rate-limit';
import type { AgentMiddleware } from './types';

export function builtinMiddleware(): AgentMiddleware[] {
  return [loggingMiddleware(), authMiddleware(), quotaMiddleware(), rateLimitMiddleware()];
}
