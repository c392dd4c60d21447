import { Field, InputType, Int, ObjectType, ID, registerEnumType } from 'type-graphql';
import { Cost } from '../../graphql/cost';
import { SERIES_COST, TOP_LINKS_COST, TOP_LIST_COST } from './stats.cost';
import { StatsInterval } from './stats.service';

registerEnumType(StatsInterval, { name: 'StatsInterval' });

@InputType()
export class StatsFilter {
  @Field(() => ID, { nullable: true }) linkId?: string | null;
  @Field(() => ID, { nullable: true }) domainId?: string | null;
  @Field(() => Date, { nullable: true, description: 'Default: 30 days (DAY) or 24 hours (HOUR) before `to`.' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Default: now. The range is at most 366 days.' }) to?: Date | null;
}

@ObjectType()
export class StatsBucket {
  @Field(() => Date, { description: 'Start of the hour or day (UTC).' }) bucket: Date;
  @Field(() => Int) clicks: number;
}

@ObjectType()
export class CountedValue {
  @Field() value: string;
  @Field(() => Int) clicks: number;
}

@ObjectType({ description: 'A link and its clicks in the range.' })
export class LinkClicks {
  @Field(() => ID, { description: 'The link’s id; its fields (LinkClicks.link) need shortLinks:read as well.' }) linkId: string;
  @Field(() => Int) clicks: number;
}

@ObjectType()
export class LinkStats {
  @Field(() => Date) from: Date;
  @Field(() => Date) to: Date;
  @Field(() => StatsInterval) interval: StatsInterval;
  @Field(() => Int) totalClicks: number;
  @Cost(SERIES_COST) @Field(() => [StatsBucket], { description: 'Every bucket in the range, zero-filled.' }) series: StatsBucket[];
  @Cost(TOP_LIST_COST)
  @Field(() => [CountedValue], { description: 'Top 10 referrer hosts; "(direct)" when none was sent.' })
  topReferrers: CountedValue[];
  @Cost(TOP_LIST_COST)
  @Field(() => [CountedValue], { description: 'Top 10 countries (ISO 3166 alpha-2); "??" when unknown.' })
  topCountries: CountedValue[];
  @Cost(TOP_LIST_COST) @Field(() => [CountedValue], { description: 'Top 10 user-agent families.' }) topUserAgents: CountedValue[];
  @Cost(TOP_LIST_COST)
  @Field(() => [CountedValue], {
    description:
      'Clicks by device class: desktop, mobile, tablet, bot or other (from the user agent at click time; clicks recorded before device classes were kept are other, or bot for the Bot family).',
  })
  topDevices: CountedValue[];
  @Cost(TOP_LINKS_COST)
  @Field(() => [LinkClicks], { description: 'Top 10 links by clicks, most first (ties by id). In a link’s own stats, that link.' })
  topLinks: LinkClicks[];
}
