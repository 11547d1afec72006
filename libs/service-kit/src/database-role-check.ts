import type { SqlExecutor } from '@slidecharge/messaging';
import { DatabaseRole, databaseRoleRefusal, POWERFUL_PREDEFINED_ROLES } from './database-role';

const powerful = POWERFUL_PREDEFINED_ROLES.map((r) => `'${r}'`).join(', ');

// The login role (session_user) and the current one, if a SET ROLE made it differ: the login role can
// always RESET ROLE. Names are cast to text (the pg driver adapter does not read Postgres's `name` type).
const ROLES_QUERY = `
  SELECT r.rolname::text AS "name", r.rolsuper AS "superuser", r.rolcreaterole AS "createRole",
         r.rolcreatedb AS "createDatabase", r.rolbypassrls AS "bypassRls", r.rolreplication AS "replication",
         d.datdba = r.oid AS "ownsDatabase", has_database_privilege(r.oid, d.oid, 'CREATE') AS "createInDatabase",
         ARRAY(SELECT p.rolname::text FROM pg_roles p
                WHERE p.rolname IN (${powerful}) AND pg_has_role(r.oid, p.oid, 'MEMBER') ORDER BY 1) AS "memberOf"
    FROM pg_roles r JOIN pg_database d ON d.datname = current_database()
   WHERE r.rolname IN (session_user, current_user)
   ORDER BY r.rolname`;

/** The roles this connection acts as, read from the catalog. */
export function readDatabaseRoles(database: Pick<SqlExecutor, '$queryRawUnsafe'>): Promise<DatabaseRole[]> {
  return database.$queryRawUnsafe<DatabaseRole[]>(ROLES_QUERY);
}

/**
 * Refuses (throws a ConfigError naming the role and what to do) when the service's database connection
 * has more rights than its own schema needs. Returns the role names otherwise.
 */
export async function assertLeastPrivilegedDatabaseRole(database: Pick<SqlExecutor, '$queryRawUnsafe'>, service: string): Promise<string[]> {
  const roles = await readDatabaseRoles(database);
  const refusal = databaseRoleRefusal(roles, service);
  if (refusal) throw refusal;
  return roles.map((r) => r.name);
}
