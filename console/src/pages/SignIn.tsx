import { useEffect, useState } from 'react';
import { authOptions, type AuthOptions } from '../api';

/** Signed out: the one-time link (printed at first start, or by the CLI) or the identity provider. */
export function SignIn({ message }: { message: string }) {
  const [options, setOptions] = useState<AuthOptions | null>(null);
  useEffect(() => {
    void authOptions().then(setOptions, () => setOptions({ signInLink: true, oidc: null }));
  }, []);
  const startOidc = () => {
    if (!options?.oidc) return;
    const returnTo = location.pathname.startsWith('/console') ? location.pathname : '/console/';
    location.assign(`${options.oidc.startUrl}?returnTo=${encodeURIComponent(returnTo)}`);
  };
  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to the keygate console</h1>
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
      {options?.oidc && (
        <p>
          <button type="button" className="primary" onClick={startOidc}>
            Sign in with {options.oidc.label}
          </button>
        </p>
      )}
      <section aria-labelledby="link-title">
        <h2 id="link-title">With a one-time sign-in link</h2>
        <p>
          The first <code>npm start</code> prints a link for the owner. Open it in this browser; it works once, for an hour. For a new link:
        </p>
        <pre>npm run --silent cli -- sign-in-link --email you@example.com</pre>
      </section>
    </main>
  );
}

/**
 * A sign-in link for someone else while a person is signed in: a page they visited may have sent
 * them here, so nothing changes until they choose. Staying leaves the link unused.
 */
export function SwitchAccount(props: { linkEmail: string; signedInEmail: string; onSwitch(): void; onStay(): void }) {
  return (
    <main className="sign-in" aria-labelledby="switch-title">
      <h1 id="switch-title">Switch to another account?</h1>
      <p>
        This sign-in link is for <strong>{props.linkEmail}</strong>. You are signed in as <strong>{props.signedInEmail}</strong>.
      </p>
      <p>If you did not ask for this link, stay: someone may be trying to make you work in their account.</p>
      <p className="actions">
        <button type="button" onClick={props.onStay}>
          Stay signed in as {props.signedInEmail}
        </button>
        <button type="button" className="primary" onClick={props.onSwitch}>
          Sign in as {props.linkEmail}
        </button>
      </p>
    </main>
  );
}
