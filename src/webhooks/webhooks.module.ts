import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { DeliveryWorker } from './delivery-worker';
import { PresenceWebhooks } from './presence-webhooks';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookOutbox } from './webhook-outbox';
import { WebhooksService } from './webhooks.service';

/** Webhooks (API.md part 2): the outbox, its delivery worker, and the presence events. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEventEntity]), RealtimeModule],
  providers: [WebhooksService, WebhookOutbox, DeliveryWorker, PresenceWebhooks],
  exports: [WebhooksService],
})
export class WebhooksModule {}
