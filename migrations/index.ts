/** Every migration, in order. New ones are generated with `npm run migration:generate -- <Name>`. */
import { Init1795350680726 } from './1795350680726-Init';

export const MIGRATIONS: Function[] = [Init1795350680726];
