import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { map, Observable } from 'rxjs';
import { MetricsService } from '../metrics/metrics.service';
import { eventName } from './ws-exception.filter';

export interface WsOk<T> {
  ok: true;
  data: T;
}

/** Wraps a handler's result as the contract's success acknowledgement. */
@Injectable()
export class WsAckInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept<T>(context: ExecutionContext, next: CallHandler<T>): Observable<WsOk<T>> {
    const event = eventName(context.switchToWs().getPattern());
    return next.handle().pipe(
      map((data) => {
        this.metrics.wsEvents.inc({ event, outcome: 'ok' });
        return { ok: true as const, data: data ?? ({} as T) };
      }),
    );
  }
}
