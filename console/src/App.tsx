import { useCallback, useEffect, useState } from 'react';
import { ApiError, chooseOrganization, chosenOrganization, csrfToken, request, signInWithLink, whenSignedOut } from './api';
import { ConsoleViewerDocument } from './generated/graphql';
import { Layout } from './Layout';
import { SignIn, SwitchAccount } from './pages/SignIn';
import { SessionContext, type Session } from './session';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; message: string }
  | { kind: 'signed-in'; session: Omit<Session, 'refresh'> }
  /** A sign-in link for another person than the one signed in: nothing happens until they choose. */
  | { kind: 'confirm-switch'; token: string; linkEmail: string; signedInEmail: string };

/** The fragment of a one-time sign-in link (`#sign-in=<token>`) or of a refused OIDC sign-in. */
function takeFragment(): { token?: string; error?: string } {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('sign-in') ?? undefined;
  const error = params.get('sign-in-error') ?? undefined;
  // The token must not stay in the address bar or the history.
  if (token || error) history.replaceState(null, '', location.pathname + location.search);
  return { token, error };
}

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(async (message = '') => {
    if (!csrfToken()) return setState({ kind: 'signed-out', message });
    const viewer = async () => {
      const { data } = await request(ConsoleViewerDocument);
      if (!data) throw new ApiError('No answer from keygate.', 500);
      return data;
    };
    try {
      let data;
      try {
        data = await viewer();
      } catch (error) {
        // An organization chosen earlier that this person has since left is refused like a bad
        // session: forget the choice and ask again, for the person's own default organization.
        if (!(error instanceof ApiError && error.status === 401 && chosenOrganization())) throw error;
        chooseOrganization(null);
        data = await viewer();
      }
      setState({ kind: 'signed-in', session: { viewer: data.viewer, catalog: data.permissionCatalog } });
    } catch (error) {
      setState({ kind: 'signed-out', message: error instanceof ApiError && error.status === 401 ? message : String(error) });
    }
  }, []);

  useEffect(() => {
    whenSignedOut(() => setState({ kind: 'signed-out', message: 'Your session has ended; sign in again.' }));
    const { token, error } = takeFragment();
    if (token) {
      void signInWithLink(token).then((result) => {
        if (result.kind === 'confirm-switch') setState({ ...result, token });
        else void load(result.kind === 'refused' ? result.message : '');
      });
    } else {
      void load(error ?? '');
    }
  }, [load]);

  if (state.kind === 'loading') return <p className="loading">Loading…</p>;
  if (state.kind === 'confirm-switch') {
    return (
      <SwitchAccount
        linkEmail={state.linkEmail}
        signedInEmail={state.signedInEmail}
        onSwitch={() => void signInWithLink(state.token, true).then((result) => load(result.kind === 'refused' ? result.message : ''))}
        onStay={() => void load()}
      />
    );
  }
  if (state.kind === 'signed-out') return <SignIn message={state.message} />;
  const session: Session = { ...state.session, refresh: () => void load() };
  return (
    <SessionContext.Provider value={session}>
      <Layout onSignedOut={() => setState({ kind: 'signed-out', message: 'You are signed out.' })} />
    </SessionContext.Provider>
  );
}
