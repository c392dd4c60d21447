import { defineModule } from '../../core/module';
import { ViewerResolver } from './viewer.resolver';

/** Who is calling and what they may do: `viewer` and `permissionCatalog`. */
export const viewerModule = defineModule({
  name: 'viewer',
  resolvers: [ViewerResolver],
});
