import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { ParleySocket } from './events';
import { toWsError } from './ws-errors';

/**
 * Every failed event answers `{ ok: false, error: { code, message } }` through its ack, or,
 * without an ack, emits the error object as `exception`. The socket stays connected.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const socket = ws.getClient<ParleySocket>();
    const error = toWsError(exception);
    // Only handled event names reach here, so the label set stays bounded.
    this.metrics.wsEvents.inc({ event: String(ws.getPattern()), outcome: error.code });
    const ack = host.getArgs().find((arg): arg is (response: unknown) => void => typeof arg === 'function');
    if (ack) ack({ ok: false, error });
    else socket.emit('exception', error);
  }
}
