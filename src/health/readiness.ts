import { Injectable } from '@nestjs/common';

/**
 * Whether this node wants new traffic. Set to draining at SIGTERM (main.ts): readiness then
 * answers 503 for SHUTDOWN_GRACE while everything keeps working, so the load balancer takes
 * the node out before its sockets close.
 */
@Injectable()
export class Readiness {
  private isDraining = false;

  get draining(): boolean {
    return this.isDraining;
  }

  drain(): void {
    this.isDraining = true;
  }
}
