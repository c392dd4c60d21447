/** One key's usage on one UTC day, on its way to `api_key_usage` and `api_keys.last_used_at`. */
export interface PendingUsage {
  keyId: string;
  day: string;
  requests: number;
  lastUsedAt: Date;
}
