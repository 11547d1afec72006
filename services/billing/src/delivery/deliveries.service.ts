import { Inject, Injectable } from '@nestjs/common';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { PrismaService } from '../prisma.service';
import { DELIVERY_OFF_REASON } from './delivery.config';
import { ChargeDeliveriesView, DeliveryPage, DeliveryView, ListDeliveriesQuery } from './delivery.dto';
import { DeliveryRepository } from './delivery.repository';
import { toDeliverySummary, toDeliveryView } from './delivery.views';
import { DeliveryWorker } from './delivery.worker';

/** What billing staff and on-call read and do about DFT^P03 delivery. */
@Injectable()
export class DeliveriesService {
  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly prisma: PrismaService,
    private readonly repository: DeliveryRepository,
    private readonly worker: DeliveryWorker,
    private readonly runtime: ServiceRuntime,
  ) {}

  private target() {
    return this.worker.enabled ? { enabled: true, target: this.worker.target } : { enabled: false, target: null, note: DELIVERY_OFF_REASON };
  }

  /** The deliveries of a charge (its own and its credit's), or undefined for an unknown charge. */
  async ofCharge(chargeId: string): Promise<ChargeDeliveriesView | undefined> {
    const charge = await this.prisma.charge.findUnique({ where: { chargeId }, select: { chargeId: true } });
    if (!charge) return undefined;
    const rows = await this.repository.ofCharge(chargeId);
    return { chargeId, delivery: this.target(), deliveries: rows.map((r) => toDeliveryView(r, this.config.BILLING_DFT_MAX_ATTEMPTS)) };
  }

  async one(deliveryId: string): Promise<DeliveryView | undefined> {
    const row = await this.repository.one(deliveryId);
    return row ? toDeliveryView(row, this.config.BILLING_DFT_MAX_ATTEMPTS) : undefined;
  }

  async list(query: ListDeliveriesQuery): Promise<DeliveryPage> {
    const rows = await this.repository.list(query);
    const { counts } = await this.repository.depth(new Date());
    return { delivery: this.target(), items: rows.map((r) => toDeliverySummary(r, this.config.BILLING_DFT_MAX_ATTEMPTS)), counts };
  }

  /** failed -> pending (due now); throws DeliveryNotFoundError / DeliveryStateError. */
  async retry(deliveryId: string, actor: string, comment: string | undefined): Promise<DeliveryView> {
    await this.repository.retry(deliveryId, actor, new Date());
    this.runtime.logger.info({ deliveryId, actor, comment }, `DFT^P03 delivery ${deliveryId} queued again by ${actor}${comment ? `: ${comment}` : ''}`);
    this.worker.wake();
    return (await this.one(deliveryId)) as DeliveryView;
  }
}
