import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api/client';
import { describeError } from './api/errors';
import { App } from './app/App';
import { SessionProvider, userManagerFor } from './auth/session';
import './app/styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

api
  .config()
  .then((config) => {
    const manager = userManagerFor(config, window.location.origin);
    root.render(
      <StrictMode>
        <SessionProvider config={config} manager={manager}>
          <App />
        </SessionProvider>
      </StrictMode>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <main id="main" className="page-center">
        <h1>The ops console cannot start</h1>
        <p role="alert">{describeError(error)}</p>
        <p>GET /api/config did not answer. See docs/operations.md (ops console), then reload this page.</p>
      </main>,
    );
  });
