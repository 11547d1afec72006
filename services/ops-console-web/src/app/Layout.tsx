import { useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useSession } from '../auth/session';
import { zoneName } from '../format/time';

export const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/review', label: 'Review queue' },
  { to: '/cases', label: 'Case timeline' },
  { to: '/dead-letter-queue', label: 'Dead letters' },
  { to: '/deliveries', label: 'Deliveries' },
  { to: '/unmatched', label: 'Unmatched scans' },
  { to: '/service-health', label: 'Health' },
  { to: '/wall', label: 'Wall screen' },
] as const;

/** The console's frame: skip link, who is signed in, the main navigation, the view. */
/** The view's name for the window title (screen readers announce it, history lists it). */
function viewName(pathname: string): string {
  const match = [...NAV].reverse().find((item) => (item.to === '/' ? pathname === '/' : pathname.startsWith(item.to)));
  return match?.label ?? 'Ops console';
}

export function Layout() {
  const session = useSession();
  const { pathname } = useLocation();
  useEffect(() => {
    document.title = `${viewName(pathname)} · slidecharge ops console`;
  }, [pathname]);
  const zone = session.config.labTimeZone;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <strong>slidecharge</strong> ops console · {session.config.labName}
          <span className="zone">
            Times in {zone} ({zoneName(new Date(), zone)})
          </span>
        </div>
        <div className="who">
          <span data-testid="signed-in-user">{session.userName}</span>
          <span className="roles" data-testid="signed-in-roles">
            {session.roles.join(', ')}
          </span>
          <button type="button" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav aria-label="Main" className="nav">
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <NavLink to={item.to} end={'end' in item ? item.end : false}>
                {item.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
