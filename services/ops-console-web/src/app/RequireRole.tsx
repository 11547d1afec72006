import { useEffect, type ReactNode } from 'react';
import { useSession } from '../auth/session';

/** Signs in when nobody is; a person without a slidecharge staff role gets a page that says so. */
export function RequireRole({ children }: { children: ReactNode }) {
  const session = useSession();
  const signedIn = session.user !== null;
  useEffect(() => {
    if (!signedIn && !session.signingOut) void session.signIn();
  }, [signedIn, session]);
  if (session.signingOut) {
    return (
      <main id="main" className="page-center">
        <h1>Signing out…</h1>
      </main>
    );
  }
  if (!signedIn) {
    return (
      <main id="main" className="page-center">
        <h1>Signing in…</h1>
        <p>
          You are sent to the hospital sign-in page. <button onClick={() => void session.signIn()}>Sign in</button>
        </p>
      </main>
    );
  }
  if (session.roles.length === 0) {
    return (
      <main id="main" className="page-center">
        <h1>Your account has no slidecharge role</h1>
        <p>
          You are signed in as <strong>{session.userName}</strong>, but your account holds none of the roles the ops console needs: billing-reviewer,
          billing-admin, integration-admin or ops-viewer.
        </p>
        <p>Ask your identity administrator for the role your work needs (docs/security.md lists what each role may do), then sign in again.</p>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </main>
    );
  }
  return <>{children}</>;
}
