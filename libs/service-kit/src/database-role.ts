import { ConfigError } from './config';

/**
 * What a Postgres role may do beyond its own schema, as a service sees it at start. A service must
 * connect as its own least-privileged role (slidecharge_<service>, made by scripts/ensure-database.mjs),
 * so that a bug or an injection in it cannot reach the other services' data, make roles or databases,
 * or read files on the database server.
 */
export interface DatabaseRole {
  name: string;
  superuser: boolean;
  createRole: boolean;
  createDatabase: boolean;
  bypassRls: boolean;
  replication: boolean;
  /** Owns the database: may drop it, and create schemas in it. */
  ownsDatabase: boolean;
  /** Has CREATE on the database: may create schemas. */
  createInDatabase: boolean;
  /** The predefined roles of POWERFUL_PREDEFINED_ROLES it is a member of. */
  memberOf: string[];
}

/** Predefined roles that reach every schema's data or the server's files and programs. */
export const POWERFUL_PREDEFINED_ROLES = [
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
] as const;

/** What the role may do that a service's role must not, in words; empty when it is least privileged. */
export function excessPrivileges(role: DatabaseRole): string[] {
  if (role.superuser) return ['is a superuser'];
  const problems: [boolean, string][] = [
    [role.createRole, 'can create roles (CREATEROLE)'],
    [role.createDatabase, 'can create databases (CREATEDB)'],
    [role.bypassRls, 'bypasses row-level security (BYPASSRLS)'],
    [role.replication, 'can replicate the whole cluster (REPLICATION)'],
    [role.ownsDatabase, 'owns the database'],
    [role.createInDatabase && !role.ownsDatabase, 'may create schemas (CREATE on the database)'],
    [role.memberOf.length > 0, `is a member of ${role.memberOf.join(', ')}`],
  ];
  return problems.filter(([applies]) => applies).map(([, text]) => text);
}

/**
 * The refusal to start when a role the service connects as (the login role and, if it differs, the
 * current one) has more rights than its own schema needs; undefined when all is well.
 */
export function databaseRoleRefusal(roles: readonly DatabaseRole[], service: string): ConfigError | undefined {
  const faults = roles.map((role) => ({ role, problems: excessPrivileges(role) })).filter((f) => f.problems.length > 0);
  if (!faults.length) return undefined;
  return new ConfigError(
    faults.map(
      ({ role, problems }) =>
        `DATABASE_URL connects as Postgres role "${role.name}", which ${problems.join(', ')}. ${service} must connect as its own ` +
        `least-privileged role, which owns only its schema: run node scripts/ensure-database.mjs with the administrator's URL, ` +
        `then start ${service} with the URL that node scripts/service-database-url.mjs ${service} prints ` +
        `(docs/operations.md, "Database roles")`,
    ),
  );
}
