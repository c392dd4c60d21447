import { Field, InputType, ObjectType } from 'type-graphql';
import { capabilitiesType } from '../../graphql/types/capabilities';
import { Connection } from '../../graphql/types/connection';
import { WebhookDelivery } from './webhook-delivery.entity';
import { Webhook } from './webhook.entity';

@InputType()
export class CreateWebhookInput {
  @Field({ description: 'https (http only outside production); must not resolve to a private, loopback or link-local address.' })
  url: string;
  @Field(() => [String], { description: 'Event types, e.g. ["apiKey.revoked", "shortLink.created"].' })
  events: string[];
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [String], { nullable: true }) events?: string[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Re-enabling resets consecutiveFailures.' }) enabled?: boolean | null;
}

@ObjectType({ description: 'Returned when a signing secret is made; the secret is never readable again.' })
export class CreatedWebhook {
  @Field(() => Webhook) webhook: Webhook;
  @Field({ description: '`whsec_…`: verify deliveries with it (Standard Webhooks).' }) secret: string;
}

@ObjectType()
export class WebhookDeliveryConnection extends Connection(WebhookDelivery) {}

export const WebhookViewerCan = capabilitiesType('Webhook', {
  update: 'updateWebhook: change its URL, events or status.',
  rotateSecret: 'rotateWebhookSecret: issue a new signing secret.',
  test: 'testWebhook: send a ping now.',
  redeliver: 'redeliverWebhookDelivery: send one of its deliveries again (it must be enabled).',
  delete: 'deleteWebhook: remove the endpoint.',
});
