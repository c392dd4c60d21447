import { defineModule } from '../../core/module';
import { BrowserSession } from './browser-session.entity';
import { SignInLink } from './sign-in-link.entity';
import { UserIdentity } from './user-identity.entity';

/**
 * How people sign in: identity-provider identities linked to users, console browser sessions and
 * one-time sign-in links. Authentication reads these tables (auth/); they guard no resource.
 */
export const sessionsModule = defineModule({
  name: 'sessions',
  entities: [UserIdentity, BrowserSession, SignInLink],
});
