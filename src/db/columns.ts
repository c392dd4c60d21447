import { Column, type ColumnOptions } from 'typeorm';

/**
 * Timestamps are stored with millisecond precision so that a JavaScript Date read back from the
 * database compares equal to the row it came from; keyset cursors depend on that.
 */
export function TimestampColumn(name: string, options: Omit<ColumnOptions, 'type' | 'name' | 'precision'> = {}) {
  return Column({ type: 'timestamptz', precision: 3, name, ...options });
}

export function CreatedAtColumn(name = 'created_at') {
  return TimestampColumn(name, { default: () => 'now()' });
}

/**
 * The organization a row belongs to. Every query of the services filters on it (the caller's
 * organization, never a client value); entities with a UUID id get it from OrgOwnedEntity.
 */
export function OrgIdColumn() {
  return Column({ name: 'org_id', type: 'uuid' });
}
