import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

/**
 * A list filter kept in the page's address (?name=value): a reload or a shared link shows the same
 * filtered list. Setting the default value removes the parameter.
 */
export function useQueryParam<T extends string>(name: string, fallback: T): [T, (value: T) => void] {
  const [params, setParams] = useSearchParams();
  const value = (params.get(name) ?? fallback) as T;
  const set = useCallback(
    (next: T) =>
      setParams(
        (current) => {
          const updated = new URLSearchParams(current);
          if (next === fallback) updated.delete(name);
          else updated.set(name, next);
          return updated;
        },
        { replace: true },
      ),
    [name, fallback, setParams],
  );
  return [value, set];
}
