import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { RouteKey } from './access-matrix';

function pathsOf(target: object): string[] {
  const value: unknown = Reflect.getMetadata(PATH_METADATA, target);
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === 'string' ? value : ''];
}

/** Joins a controller path and a handler path as Express sees them: `cases` + `:id` -> `/cases/:id`. */
export function joinRoutePath(controllerPath: string, handlerPath: string): string {
  const joined = `/${[controllerPath, handlerPath].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  return joined.replace(/\/{2,}/g, '/');
}

/**
 * The access-matrix key of a Nest route handler, from the metadata its decorators left:
 * `POST /charges/:chargeId/release`. A handler mounted on several paths has several keys.
 */
export function routeKeysOf(controller: object, handler: object): RouteKey[] {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
  return pathsOf(controller).flatMap((c) => pathsOf(handler).map((h) => `${method} ${joinRoutePath(c, h)}` as RouteKey));
}
