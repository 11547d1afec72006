import { ConfigError } from './config';
import { DatabaseRole, databaseRoleRefusal, excessPrivileges } from './database-role';

const serviceRole: DatabaseRole = {
  name: 'slidecharge_billing',
  superuser: false,
  createRole: false,
  createDatabase: false,
  bypassRls: false,
  replication: false,
  ownsDatabase: false,
  createInDatabase: false,
  memberOf: [],
};

describe('excessPrivileges', () => {
  it('finds nothing wrong with a role that may only log in and own its schema', () => {
    expect(excessPrivileges(serviceRole)).toEqual([]);
  });

  it('says only "superuser" for a superuser (it implies everything else)', () => {
    const postgres = { ...serviceRole, name: 'postgres', superuser: true, createRole: true, createDatabase: true, bypassRls: true, ownsDatabase: true, createInDatabase: true };
    expect(excessPrivileges(postgres)).toEqual(['is a superuser']);
  });

  it.each([
    [{ createRole: true }, 'can create roles (CREATEROLE)'],
    [{ createDatabase: true }, 'can create databases (CREATEDB)'],
    [{ bypassRls: true }, 'bypasses row-level security (BYPASSRLS)'],
    [{ replication: true }, 'can replicate the whole cluster (REPLICATION)'],
    [{ createInDatabase: true }, 'may create schemas (CREATE on the database)'],
    [{ memberOf: ['pg_read_all_data', 'pg_write_all_data'] }, 'is a member of pg_read_all_data, pg_write_all_data'],
  ] as [Partial<DatabaseRole>, string][])('refuses a role that %p', (extra, problem) => {
    expect(excessPrivileges({ ...serviceRole, ...extra })).toEqual([problem]);
  });

  it('names the database owner once, not also as able to create schemas', () => {
    expect(excessPrivileges({ ...serviceRole, ownsDatabase: true, createInDatabase: true })).toEqual(['owns the database']);
  });

  it('lists every excess right of one role', () => {
    expect(excessPrivileges({ ...serviceRole, createRole: true, createDatabase: true, bypassRls: true })).toHaveLength(3);
  });
});

describe('databaseRoleRefusal', () => {
  it('lets the service start as its own role', () => {
    expect(databaseRoleRefusal([serviceRole], 'billing')).toBeUndefined();
  });

  it('refuses a superuser with a message naming the role, the service and what to do', () => {
    const refusal = databaseRoleRefusal([{ ...serviceRole, name: 'postgres', superuser: true }], 'billing');
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal?.problems).toHaveLength(1);
    const [problem] = refusal?.problems ?? [];
    expect(problem).toContain('DATABASE_URL connects as Postgres role "postgres", which is a superuser');
    expect(problem).toContain('billing must connect as its own least-privileged role');
    expect(problem).toContain('node scripts/service-database-url.mjs billing');
  });

  it('refuses when the login role is fine but the current role (after SET ROLE) is not, naming only that one', () => {
    const refusal = databaseRoleRefusal([serviceRole, { ...serviceRole, name: 'dba', createRole: true }], 'qc');
    expect(refusal?.problems).toEqual([expect.stringContaining('role "dba", which can create roles (CREATEROLE)')]);
  });
});
