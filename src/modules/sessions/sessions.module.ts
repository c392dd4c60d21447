import { defineModule } from '../../core/module';
import { SessionPersonDirectory } from './person.directory';
import { BrowserSession } from './browser-session.entity';
import { SignInLink } from './sign-in-link.entity';
import { UserIdentity } from './user-identity.entity';

/**
 * How people sign in: identity-provider identities linked to users, console browser sessions and
 * one-time sign-in links. Authentication reads people through this feature's directory (its SQL over
 * users, memberships, identities and sessions); they guard no resource.
 */
export const sessionsModule = defineModule({
  name: 'sessions',
  entities: [UserIdentity, BrowserSession, SignInLink],
  authDirectories: ({ dataSource }) => ({ people: new SessionPersonDirectory(dataSource) }),
});
