import { count } from '../../format';

/** The API's bound (api-key.rules.ts MAX_KEY_RATE_LIMIT); the API checks it again. */
export const MAX_RATE_LIMIT = 100_000;

/** A key's own limit in words; null: the organization plan's. */
export function rateLimitText(limit: number | null): string {
  return limit == null ? 'The plan’s limit' : `${count(limit)} requests per minute`;
}

/** Requests per minute for one key; empty means the plan's limit. */
export function RateLimitField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <p>
      <label>
        Rate limit (requests per minute){' '}
        <input
          type="number"
          name="rateLimitPerMinute"
          min={1}
          max={MAX_RATE_LIMIT}
          step={1}
          placeholder="Plan’s limit"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      <span className="hint"> Empty: the plan’s limit.</span>
    </p>
  );
}

/** The field's value as the API takes it: a number, or null for the plan's limit. */
export function parseRateLimit(value: string): number | null {
  return value.trim() === '' ? null : Number(value);
}
