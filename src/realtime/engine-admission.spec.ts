import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { EngineAdmission, isOverConnectLimit, markAttached, UNATTACHED_SESSION_MS } from './engine-admission';

const config = { wsConnectRateLimit: { limit: 3, windowMs: 10_000 }, trustProxy: false } as unknown as AppConfig;
const request = (ip: string) => ({ headers: {}, socket: { remoteAddress: ip } }) as unknown as IncomingMessage;

describe('EngineAdmission (finding 7)', () => {
  it('passes the limit, marks up to twice it (the namespace refuses those), refuses beyond', () => {
    const admission = new EngineAdmission(config);
    const outcomes = Array.from({ length: 8 }, () => {
      const req = request('203.0.113.5');
      let allowed = false;
      admission.allowRequest(req, (_error, ok) => (allowed = ok));
      return allowed ? (isOverConnectLimit(req) ? 'marked' : 'ok') : 'refused';
    });
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'marked', 'marked', 'marked', 'refused', 'refused']);
    let other = false;
    admission.allowRequest(request('203.0.113.6'), (_error, ok) => (other = ok));
    expect(other).toBe(true);
  });

  it('closes a session that reaches no namespace within 10 s, and only that one', () => {
    jest.useFakeTimers();
    try {
      const admission = new EngineAdmission(config);
      const conn = () => Object.assign(new EventEmitter(), { request: request('203.0.113.7'), close: jest.fn() });
      const idle = conn();
      const attached = conn();
      admission.onConnection(idle);
      admission.onConnection(attached);
      markAttached(attached);
      jest.advanceTimersByTime(UNATTACHED_SESSION_MS - 1);
      expect(idle.close).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(idle.close).toHaveBeenCalledTimes(1);
      expect(attached.close).not.toHaveBeenCalled();
    } finally {
      jest.useRealTimers();
    }
  });
});
