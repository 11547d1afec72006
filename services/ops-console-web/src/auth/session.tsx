import type { OpsConsoleConfig } from '@slidecharge/contracts/ops-console';
import { User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { setTokenSource } from '../api/client';
import { staffRoles, tokenClaims, type StaffRole } from './roles';

/**
 * Sign-in: authorization code + PKCE (S256) against the hospital's identity provider, settings from
 * GET /api/config. Tokens live in session storage (gone with the tab), renewed before they expire.
 */
export function userManagerFor(config: OpsConsoleConfig, origin: string): UserManager {
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: config.scopes,
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

export interface Session {
  config: OpsConsoleConfig;
  user: User | null;
  accessToken: string | undefined;
  userName: string;
  roles: StaffRole[];
  /** Set from the click on "Sign out" until the identity provider takes over: no automatic sign-in meanwhile. */
  signingOut: boolean;
  signIn(returnTo?: string): Promise<void>;
  signOut(): Promise<void>;
  manager: UserManager;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

function userNameOf(user: User | null, claims: Record<string, unknown>): string {
  const name = claims['preferred_username'] ?? user?.profile.preferred_username ?? user?.profile.sub;
  return typeof name === 'string' ? name : '';
}

export function SessionProvider({ config, manager, children }: { config: OpsConsoleConfig; manager: UserManager; children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  useEffect(() => {
    const update = (u: User | null) => setUser(u && !u.expired ? u : null);
    void manager.getUser().then((u) => {
      update(u);
      setLoaded(true);
    });
    const onLoaded = (u: User) => update(u);
    const onGone = () => update(null);
    manager.events.addUserLoaded(onLoaded);
    manager.events.addUserUnloaded(onGone);
    manager.events.addUserSignedOut(onGone);
    manager.events.addSilentRenewError(onGone);
    return () => {
      manager.events.removeUserLoaded(onLoaded);
      manager.events.removeUserUnloaded(onGone);
      manager.events.removeUserSignedOut(onGone);
      manager.events.removeSilentRenewError(onGone);
    };
  }, [manager]);

  const session = useMemo<Session>(() => {
    const claims = user ? tokenClaims(user.access_token) : {};
    return {
      config,
      manager,
      user,
      accessToken: user?.access_token,
      userName: userNameOf(user, claims),
      roles: staffRoles(claims),
      signingOut,
      signIn: (returnTo = window.location.pathname + window.location.search) => manager.signinRedirect({ state: { returnTo } }),
      signOut: () => {
        setSigningOut(true);
        return manager.signoutRedirect();
      },
    };
  }, [config, manager, user, signingOut]);

  // Set while rendering, not in an effect: the views' effects (their first API calls) run before this
  // provider's effects, so after a page reload they would go out without the token and come back 401.
  setTokenSource(() => session.accessToken);
  // Until the stored session is read the page stays empty: no flash of the sign-in page.
  if (!loaded) return null;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
