import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryQueue } from './delivery.queue';
import { DeliveryRepository } from './delivery.repository';
import { DeliverySenderRepository } from './delivery-sender.repository';
import { DeliveryWorker } from './delivery.worker';

/** DFT^P03 delivery to the billing system over MLLP (issue #4): the queue, the sender and the deliveries API. */
@Module({
  controllers: [DeliveriesController],
  providers: [DeliveryRepository, DeliverySenderRepository, DeliveryQueue, DeliveryWorker, DeliveriesService],
  exports: [DeliveryQueue],
})
export class DeliveryModule {}
