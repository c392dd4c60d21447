import { WEBHOOK_OPERATIONS } from './webhook.rules';
import { Arg, Ctx, Extensions, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { evaluateCapabilities } from '../../kernel/capabilities';
import type { ModuleContext } from '../context';
import type { WebhookService } from './webhook.service';
import { Requires } from '../../graphql/requires.directive';
import { OUTBOUND } from '../../graphql/pipeline/outbound.rule';
import { toConnection } from '../../graphql/types/connection';
import { WebhookDelivery } from './webhook-delivery.entity';
import { Webhook } from './webhook.entity';
import { CreatedWebhook, CreateWebhookInput, UpdateWebhookInput, WebhookDeliveryConnection, WebhookViewerCan } from './webhook.types';

type Context = ModuleContext<{ webhooks: WebhookService }>;

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook])
  @Requires('webhooks', 'read')
  webhooks(@Ctx() ctx: Context) {
    return ctx.services.webhooks.list(ctx.caller);
  }

  @Mutation(() => CreatedWebhook, { description: 'The signing secret is in the payload and nowhere else, ever.' })
  @Requires(WEBHOOK_OPERATIONS.createWebhook)
  createWebhook(@Arg('input', () => CreateWebhookInput) input: CreateWebhookInput, @Ctx() ctx: Context) {
    return ctx.services.webhooks.create(ctx.caller, input);
  }

  @Mutation(() => Webhook)
  @Requires(WEBHOOK_OPERATIONS.updateWebhook)
  updateWebhook(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateWebhookInput) input: UpdateWebhookInput, @Ctx() ctx: Context) {
    return ctx.services.webhooks.update(ctx.caller, id, input);
  }

  @Mutation(() => CreatedWebhook, { description: 'A new signing secret; the old one stops signing at once.' })
  @Requires(WEBHOOK_OPERATIONS.rotateWebhookSecret)
  rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.webhooks.rotateSecret(ctx.caller, id);
  }

  @Mutation(() => ID)
  @Requires(WEBHOOK_OPERATIONS.deleteWebhook)
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.webhooks.delete(ctx.caller, id);
  }

  @Mutation(() => WebhookDelivery, { description: 'Sends a `ping` event now and returns the attempt. At most one send per operation.' })
  @Extensions(OUTBOUND)
  @Requires(WEBHOOK_OPERATIONS.testWebhook)
  testWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.webhooks.test(ctx.caller, id);
  }

  @Mutation(() => WebhookDelivery, {
    description:
      'Sends the event of this delivery again to its webhook, now, as a new attempt: the same `webhook-id` and payload, a fresh ' +
      'signature. The webhook must be enabled and still subscribed to the event, and you must be able to read the event. ' +
      'Returns the new attempt; if it fails, it is retried on the schedule for its attempt number (none past the last). ' +
      'At most one send per operation.',
  })
  @Extensions(OUTBOUND)
  @Requires(WEBHOOK_OPERATIONS.redeliverWebhookDelivery)
  redeliverWebhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.webhooks.redeliver(ctx.caller, id);
  }

  @FieldResolver(() => WebhookViewerCan, { description: 'What you may do to this endpoint now, and why not where you may not.' })
  viewerCan(@Root() webhook: Webhook, @Ctx() ctx: Context) {
    return evaluateCapabilities(ctx.services.webhooks.rules(ctx.principal, webhook));
  }

  @Query(() => WebhookDeliveryConnection, { description: 'Delivery attempts of one webhook, newest first.' })
  @Requires('webhooks', 'read')
  webhookDeliveries(
    @Arg('webhookId', () => ID) webhookId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.webhooks.deliveries(ctx.caller, webhookId, { first, after }).then(toConnection);
  }
}
