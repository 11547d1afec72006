import type { User, UserManager } from 'oidc-client-ts';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { useSession } from '../auth/session';

// The code can be exchanged once: React may run the effect twice (StrictMode), so both runs share one exchange.
const exchanges = new WeakMap<UserManager, Promise<User>>();
function exchangeCode(manager: UserManager): Promise<User> {
  const pending = exchanges.get(manager) ?? manager.signinRedirectCallback();
  exchanges.set(manager, pending);
  return pending;
}

/** Where the identity provider sends the browser back with the code: exchange it (PKCE), then go on. */
export function Callback() {
  const { manager } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let done = false;
    exchangeCode(manager)
      .then((user) => {
        if (done) return;
        const state = user.state as { returnTo?: string } | undefined;
        const returnTo = typeof state?.returnTo === 'string' && state.returnTo.startsWith('/') && !state.returnTo.startsWith('/callback') ? state.returnTo : '/';
        navigate(returnTo, { replace: true });
      })
      .catch((e: unknown) => !done && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      done = true;
    };
  }, [manager, navigate]);
  return (
    <main id="main" className="page-center">
      <h1>Signing in…</h1>
      {error ? (
        <p role="alert">
          The sign-in did not complete ({error}). <a href="/">Start again</a>.
        </p>
      ) : null}
    </main>
  );
}
