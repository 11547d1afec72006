import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Callback } from './Callback';
import { Layout } from './Layout';
import { RequireRole } from './RequireRole';
import { CasesView } from '../views/cases/CasesView';
import { DeadLettersView } from '../views/dead-letters/DeadLettersView';
import { DeliveriesView } from '../views/deliveries/DeliveriesView';
import { HealthView } from '../views/health/HealthView';
import { OverviewView } from '../views/overview/OverviewView';
import { ReviewView } from '../views/review/ReviewView';
import { UnmatchedView } from '../views/unmatched/UnmatchedView';
import { WallView } from '../views/wall/WallView';

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/callback" element={<Callback />} />
        <Route
          path="/wall"
          element={
            <RequireRole>
              <WallView />
            </RequireRole>
          }
        />
        <Route
          element={
            <RequireRole>
              <Layout />
            </RequireRole>
          }
        >
          <Route index element={<OverviewView />} />
          <Route path="review" element={<ReviewView />} />
          <Route path="cases" element={<CasesView />} />
          <Route path="cases/:accessionNumber" element={<CasesView />} />
          <Route path="dead-letter-queue" element={<DeadLettersView />} />
          <Route path="deliveries" element={<DeliveriesView />} />
          <Route path="unmatched" element={<UnmatchedView />} />
          <Route path="service-health" element={<HealthView />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
