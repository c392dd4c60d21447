import type { DeviceClass } from './user-agent';

/** One redirect, on its way to `link_clicks` and its link's `click_count`. */
export interface Click {
  linkId: string;
  orgId: string;
  clickedAt: Date;
  referrerHost: string | null;
  userAgentFamily: string;
  country: string | null;
  device: DeviceClass;
}
