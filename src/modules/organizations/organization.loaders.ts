import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { LoaderContext } from '../../core/loaders';
import { Organization } from './organization.entity';

export function organizationLoaders({ dataSource }: LoaderContext) {
  const organizations = new DataLoader<string, Organization | null>(async (ids) => {
    const rows = await dataSource.getRepository(Organization).findBy({ id: In([...ids]) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return { organizations };
}

export type OrganizationLoaders = ReturnType<typeof organizationLoaders>;
