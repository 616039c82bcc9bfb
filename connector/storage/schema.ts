/**
 * The one Database interface that types every table. Each capability adds its tables here and a
 * migration in migrations.ts. Portable column types only: text for JSON and timestamps (ISO 8601, UTC),
 * integer for counters and booleans, so one migration set serves SQLite and PostgreSQL.
 */
export interface ConnectorMetaTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface Database {
  connector_meta: ConnectorMetaTable;
}
